/** Who is doing something, passed to every service: (db, input, actor). */
export type Role = 'customer' | 'support' | 'admin';

export interface ActorUser {
  id: string;
  name: string;
  email: string;
  role: Role;
  emailVerified: boolean;
}

export interface Actor {
  user: ActorUser | null;
  ip: string | null;
  userAgent: string | null;
  requestId: string | null;
}

/** Work the platform does by itself: start-up, jobs, the CLI. */
export const systemActor: Actor = { user: null, ip: null, userAgent: null, requestId: null };
