// Response shapes of the Mintreu API as the web uses them (see /work/shared/API.md).
import type { KillSwitchName, Role } from '@mintreu/contracts/vocab'

export type { KillSwitchName, Role }

export interface SessionUser {
  id: string
  name: string
  email: string
  role: Role
  emailVerified: boolean
  image: string | null
  banned: boolean | null
  createdAt: string
}

export interface SessionInfo {
  id: string
  token: string
  expiresAt: string
  createdAt: string
  ipAddress?: string | null
  userAgent?: string | null
}

export interface SessionPayload {
  session: SessionInfo
  user: SessionUser
}

/** One entry of GET /api/auth/list-sessions. */
export interface DeviceSession {
  id: string
  token: string
  userAgent: string | null
  ipAddress: string | null
  createdAt: string
  expiresAt: string
}

export interface PlatformStatus {
  killSwitches: Record<KillSwitchName, boolean>
  version: string
}

export interface ListMeta {
  page: number
  perPage: number
  total: number
}

export interface Paginated<T> {
  data: T[]
  meta: ListMeta
}

export interface AdminOverview {
  users: number
  admins: number
  engagedSwitches: string[]
  auditEvents: number
  mailbox: number
}

export interface AdminUser {
  id: string
  name: string
  email: string
  role: Role
  emailVerified: boolean
  banned: boolean | null
  banReason: string | null
  createdAt: string
}

export interface ActorRef {
  id: string
  name: string
}

export interface KillSwitch {
  name: KillSwitchName
  engaged: boolean
  reason: string | null
  updatedAt: string | null
  updatedBy: ActorRef | null
}

export interface FeatureFlag {
  key: string
  description: string | null
  enabled: boolean
  rollout: number | null
  updatedAt: string | null
}

export interface AuditEntry {
  id: string
  at: string
  actor: { id: string; name: string | null; email: string | null } | null
  action: string
  entityType: string
  entityId: string | null
  before: unknown
  after: unknown
  reason: string | null
  ip: string | null
  userAgent: string | null
  requestId: string | null
}

export interface AuditPage {
  data: AuditEntry[]
  nextCursor: string | null
}

export interface AuditVerifyResult {
  ok: boolean
  checked: number
  brokenAt?: string
}

export interface MailboxItem {
  id: string
  to: string
  subject: string
  createdAt: string
}

export interface MailboxMessage extends MailboxItem {
  from: string
  html: string | null
  text: string | null
}
