/** A flag as the admin form produces it, before the reason is asked for. */
export interface FlagDraft {
  key: string
  description: string
  enabled: boolean
  rollout: number | null
}

/** Audit log filters as typed in the form; dates are `YYYY-MM-DD` (UTC days). */
export interface AuditFilters {
  action: string
  entityType: string
  entityId: string
  actorId: string
  from: string
  to: string
}
