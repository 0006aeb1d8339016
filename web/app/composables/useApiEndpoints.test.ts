import { describe, expect, it } from 'vitest'
import type { ApiEndpoint } from '@mintreu/contracts'
import { endpointChange, endpointDraft, planNames } from './useApiEndpoints'

const endpoint: ApiEndpoint = { id: 'ep_1', productId: 'prd_1', method: 'GET', path: '/users/{id}', name: 'Get a user', weight: 2, planIds: ['pln_a', 'pln_b'], isActive: true }

describe('endpointChange', () => {
  it('sends nothing when nothing changed (plans compared as a set)', () => {
    expect(endpointChange(endpoint, endpointDraft(endpoint))).toBeNull()
    expect(endpointChange(endpoint, { ...endpointDraft(endpoint), planIds: ['pln_b', 'pln_a'], path: ' /users/{id} ' })).toBeNull()
  })
  it('sends only what changed', () => {
    expect(endpointChange(endpoint, { ...endpointDraft(endpoint), weight: 5 })).toEqual({ weight: 5 })
    expect(endpointChange(endpoint, { ...endpointDraft(endpoint), method: 'POST', path: '/people/{id}' })).toEqual({ method: 'POST', path: '/people/{id}' })
    expect(endpointChange(endpoint, { ...endpointDraft(endpoint), planIds: [] })).toEqual({ planIds: [] })
    expect(endpointChange(endpoint, { ...endpointDraft(endpoint), isActive: false })).toEqual({ isActive: false })
  })
  it('keeps a chosen name, lets an automatic one follow the method and path, and refills an emptied one', () => {
    expect(endpointChange(endpoint, { ...endpointDraft(endpoint), path: '/u/{id}' })).toEqual({ path: '/u/{id}' })
    const auto = { ...endpoint, name: 'GET /users/{id}' }
    expect(endpointChange(auto, { ...endpointDraft(auto), method: 'PUT' })).toEqual({ method: 'PUT', name: 'PUT /users/{id}' })
    expect(endpointChange(endpoint, { ...endpointDraft(endpoint), name: '  ' })).toEqual({ name: 'GET /users/{id}' })
  })
  it('does not share the plan list with the endpoint it was drawn from', () => {
    const draft = endpointDraft(endpoint)
    draft.planIds.push('pln_c')
    expect(endpoint.planIds).toEqual(['pln_a', 'pln_b'])
  })
})

describe('planNames', () => {
  it('names the plans, or every plan', () => {
    const plans = [{ id: 'pln_a', name: 'Free' }, { id: 'pln_b', name: 'Pro' }]
    expect(planNames([], plans)).toBe('every plan')
    expect(planNames(['pln_b', 'pln_gone'], plans)).toBe('Pro, pln_gone')
  })
})
