/**
 * Hides the password of a URI's userinfo (and of `password=`-style query parameters), keeping the rest readable.
 * Works on multi-host MongoDB URIs, which `URL` cannot parse.
 */
export function redactUri(uri: string): string {
  return uri
    .replace(/^([a-z][a-z0-9+.-]*:\/\/)([^@/?#]*)@/i, (_m, scheme: string, userinfo: string) => {
      const colon = userinfo.indexOf(':');
      return colon === -1 ? `${scheme}${userinfo}@` : `${scheme}${userinfo.slice(0, colon)}:***@`;
    })
    .replace(/([?&](?:password|pass|pwd|secret|token|apikey|api_key)=)[^&#]*/gi, '$1***');
}
