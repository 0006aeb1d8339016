/** The sign-in link: back to the page you were on after signing in (but not to the auth pages themselves, or home). */
export function useSignInLink() {
  const route = useRoute()
  return computed(() => {
    const here = route.fullPath
    const isAuthPage = ['/sign-in', '/sign-up', '/forgot-password', '/reset-password', '/verify-email'].includes(route.path)
    return isAuthPage || here === '/' ? '/sign-in' : { path: '/sign-in', query: { redirect: here } }
  })
}
