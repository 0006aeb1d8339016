/** One line of a before/after comparison of an audit event. */
export interface DiffRow {
  key: string
  before: string | undefined
  after: string | undefined
  change: 'added' | 'removed' | 'changed' | 'same'
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** `{ a: { b: 1 } }` → `{ 'a.b': 1 }`; arrays and scalars are leaves. */
export function flatten(value: unknown, prefix = '', out: Record<string, unknown> = {}): Record<string, unknown> {
  if (isPlainObject(value)) {
    const entries = Object.entries(value)
    if (!entries.length && prefix) out[prefix] = {}
    for (const [key, child] of entries) flatten(child, prefix ? `${prefix}.${key}` : key, out)
  } else if (value !== undefined) {
    out[prefix || '(value)'] = value
  }
  return out
}

function show(value: unknown): string | undefined {
  return value === undefined ? undefined : JSON.stringify(value)
}

/** Key-by-key comparison of two snapshots (either may be null: a creation or a deletion). */
export function diffSnapshots(before: unknown, after: unknown): DiffRow[] {
  const a = before == null ? {} : flatten(before)
  const b = after == null ? {} : flatten(after)
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()
  return keys.map((key) => {
    const left = show(a[key])
    const right = show(b[key])
    const change = left === undefined ? 'added' : right === undefined ? 'removed' : left === right ? 'same' : 'changed'
    return { key, before: left, after: right, change }
  })
}
