import { killSwitchNames } from '@mintreu/contracts/vocab'
import type { KillSwitchName } from '~/types/api'

/** What engaging each kill switch stops, for the admin panel (API.md, "Kill switches and flags"). */
export const killSwitchInfo: Record<KillSwitchName, { label: string; description: string; icon: string }> = {
  payments: { label: 'Payments', icon: 'i-lucide-credit-card', description: 'Stops new checkouts. Incoming payment webhooks are still verified, stored and acknowledged.' },
  downloads: { label: 'Downloads', icon: 'i-lucide-download', description: 'Refuses new download links and the redemption of existing ones.' },
  licensing: { label: 'Licensing', icon: 'i-lucide-key-round', description: 'No new licences or activations; paid orders wait and complete on release. Validation keeps answering.' },
  referrals: { label: 'Referrals', icon: 'i-lucide-users', description: 'No new referral attributions or commissions.' },
  ai: { label: 'AI', icon: 'i-lucide-sparkles', description: 'Refuses AI-drafted support replies. Internal: visitors see no banner.' },
  support: { label: 'Support', icon: 'i-lucide-life-buoy', description: 'No new tickets or replies; existing tickets stay readable.' },
}

/** Switches in a stable order: the contract's order, then any the API adds later. */
export function killSwitchOrder(name: string): number {
  const index = (killSwitchNames as readonly string[]).indexOf(name)
  return index === -1 ? killSwitchNames.length : index
}
