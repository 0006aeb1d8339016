// Downloads (API.md "Downloads"): masked, expiring links for product files, the customer's downloadable products,
// and the admin download log with its per-day counts.
import type {
  DownloadAccess, DownloadableProduct, DownloadLink, DownloadLogEntry, DownloadLogQuery, DownloadLogStatus, DownloadStats,
} from '@mintreu/contracts'
import type { Paginated } from '~/types/api'

export type { DownloadAccess, DownloadableProduct, DownloadLink, DownloadLogEntry, DownloadLogStatus, DownloadStats }

const enc = encodeURIComponent

export function useDownloads() {
  const api = useApi()
  return {
    /** A link for the product's primary file, or for `sourceId`. */
    link: (slug: string, sourceId?: string) =>
      api<DownloadLink>(`/api/products/${enc(slug)}/download`, { method: 'POST', body: sourceId ? { sourceId } : {} }),
    access: (slug: string) => api<DownloadAccess>(`/api/products/${enc(slug)}/download-access`),
    mine: () => api<{ data: DownloadableProduct[] }>('/api/downloads'),
    logs: (query: Partial<DownloadLogQuery>) => api<Paginated<DownloadLogEntry>>('/api/admin/download-logs', { query }),
    stats: (query: { productId?: string; days?: number }) => api<DownloadStats>('/api/admin/download-stats', { query }),
  }
}

/** Hands a link to the browser's own downloader: the file is saved (Content-Disposition) and the page stays. */
function saveFrom(url: string) {
  const anchor = document.createElement('a')
  anchor.href = url
  anchor.rel = 'noopener'
  anchor.download = ''
  document.body.appendChild(anchor)
  anchor.click()
  anchor.remove()
}

/**
 * Starts a download from a button: asks for a link, hands it to the browser, and says what happened. A visitor
 * who must sign in first is sent to sign-in and brought back.
 */
export function useStartDownload() {
  const downloads = useDownloads()
  const notify = useNotify()
  const route = useRoute()
  /** The product slug or source id being started, for the button's spinner. */
  const pending = ref<string | null>(null)

  async function start(slug: string, sourceId?: string) {
    pending.value = sourceId ?? slug
    try {
      const link = await downloads.link(slug, sourceId)
      saveFrom(link.downloadUrl)
      notify.success('Your download is starting', `${link.fileName}${link.fileSize ? ` (${formatBytes(link.fileSize)})` : ''}`)
      return link
    } catch (err) {
      if (toApiError(err).status === 401) {
        await navigateTo({ path: '/sign-in', query: { redirect: route.fullPath } })
        return null
      }
      notify.error(err, 'Could not start the download')
      return null
    } finally {
      pending.value = null
    }
  }

  return { start, pending }
}

/** "v1.2.0 · 4.1 MB" */
export function sourceLabel(source: { version: string | null; fileSize: number | null }): string {
  return [source.version ? `v${source.version.replace(/^v/i, '')}` : null, source.fileSize !== null ? formatBytes(source.fileSize) : null]
    .filter(Boolean).join(' · ')
}

type BadgeColor = 'neutral' | 'primary' | 'success' | 'warning' | 'error' | 'info'

export const downloadStatusInfo: Record<DownloadLogStatus, { label: string; color: BadgeColor }> = {
  granted: { label: 'Link issued', color: 'info' },
  started: { label: 'Started', color: 'primary' },
  completed: { label: 'Completed', color: 'success' },
  denied: { label: 'Denied', color: 'warning' },
  failed: { label: 'Failed', color: 'error' },
}
