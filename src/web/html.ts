/** HTML escaping for every interpolated value (OWASP XSS prevention rule 1). */
export function esc(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

const STYLE = `body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;background:#f2f2f2;margin:0}
main{max-width:440px;margin:8vh auto;background:#fff;padding:44px;box-shadow:0 2px 6px rgba(0,0,0,.2)}
h1{font-size:1.5rem;font-weight:600;margin:0 0 1rem}label{display:block;margin:.8rem 0 .2rem}
input[type=text],input[type=email],input[type=password]{width:100%;box-sizing:border-box;padding:.5rem;font-size:1rem}
button{margin-top:1.2rem;padding:.5rem 1.5rem;font-size:1rem;background:#0067b8;color:#fff;border:0;cursor:pointer}
button.secondary{background:#ccc;color:#000}.error{color:#a80000}.muted{color:#555;font-size:.9rem}code{font-size:1.1rem}
.actions{display:flex;gap:.8rem;justify-content:flex-end}`;

/** A full page; `body` must already be escaped. */
export function page(title: string, body: string, scriptNonce?: string, script?: string): string {
  const js = scriptNonce && script ? `<script nonce="${scriptNonce}">${script}</script>` : '';
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${esc(title)}</title><style>${STYLE}</style></head><body><main>${body}</main>${js}</body></html>`;
}

export function hidden(name: string, value: string): string {
  return `<input type="hidden" name="${esc(name)}" value="${esc(value)}">`;
}
