/**
 * The console's one stylesheet, served as /console/console.css (CSP style-src 'self': no inline
 * style anywhere). Plain semantic HTML does the rest: it reflows to 360 px without media queries
 * except for the tables, which scroll sideways inside their own box. Colours keep WCAG AA contrast.
 */
export const CONSOLE_CSS = `*{box-sizing:border-box}
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;background:#f5f5f5;color:#1b1b1b;line-height:1.45}
a{color:#0b5cad}a:focus,button:focus,input:focus,select:focus{outline:3px solid #1a73e8;outline-offset:2px}
.skip{position:absolute;left:-9999px}.skip:focus{left:8px;top:8px;background:#fff;padding:8px;z-index:2}
header{background:#1f2937;color:#fff;padding:.6rem 1rem;display:flex;flex-wrap:wrap;gap:.4rem 1.2rem;align-items:center}
header a{color:#fff}header .brand{font-weight:600;font-size:1.1rem;margin-right:auto}
header nav ul{list-style:none;display:flex;flex-wrap:wrap;gap:.2rem 1rem;margin:0;padding:0}
header nav a[aria-current=page]{text-decoration:underline 3px}
header form{margin:0}header .who{font-size:.9rem;color:#e5e7eb}
header button{background:transparent;color:#fff;border:1px solid #9ca3af;padding:.25rem .7rem;margin:0}
main{max-width:1100px;margin:1rem auto;padding:0 1rem}
h1{font-size:1.5rem;margin:.6rem 0 1rem}h2{font-size:1.15rem;margin:1.6rem 0 .6rem}section>h2:first-child{margin-top:0}
section,.card{background:#fff;border:1px solid #d1d5db;border-radius:6px;padding:1rem;margin:0 0 1rem}
.table-wrap{overflow-x:auto}table{border-collapse:collapse;width:100%;font-size:.92rem}
th,td{text-align:left;padding:.45rem .5rem;border-bottom:1px solid #e5e7eb;vertical-align:top}th{background:#f3f4f6}
ul.permissions{margin:0;padding-left:1.1rem}
button,.button{display:inline-block;font:inherit;padding:.45rem 1rem;border-radius:4px;border:1px solid #0b5cad;background:#0b5cad;color:#fff;cursor:pointer;text-decoration:none;margin:.2rem 0}
button.secondary{background:#fff;color:#0b5cad}button.danger{background:#b42318;border-color:#b42318}
button[disabled]{background:#e5e7eb;color:#4b5563;border-color:#9ca3af;cursor:not-allowed}
form.inline{display:inline}label{display:block;font-weight:600;margin:.6rem 0 .2rem}
input[type=text],input[type=search],input[type=password],select,textarea{font:inherit;padding:.4rem;border:1px solid #6b7280;border-radius:4px;width:100%;max-width:28rem}
.search{display:flex;flex-wrap:wrap;gap:.5rem;align-items:flex-end}.search label{margin:0}
.tag{display:inline-block;padding:0 .4rem;border-radius:3px;font-size:.8rem;background:#e5e7eb;color:#1f2937;margin:0 .2rem .2rem 0}
.tag.ok{background:#dcfce7;color:#14532d}.tag.off{background:#fee2e2;color:#7f1d1d}.tag.here{background:#dbeafe;color:#1e3a8a}
.reason{font-size:.85rem;color:#4b5563;margin:.1rem 0 .4rem}.muted{color:#4b5563;font-size:.9rem}
.notice{border-left:4px solid #0b5cad;background:#eff6ff;padding:.6rem 1rem;margin:0 0 1rem}
.warning{border-left:4px solid #b42318;background:#fef2f2;padding:.6rem 1rem;margin:0 0 1rem}
.secret{font-family:ui-monospace,monospace;font-size:1.05rem;background:#fff7d6;padding:.3rem .5rem;word-break:break-all}
dl.props{display:grid;grid-template-columns:minmax(8rem,max-content) 1fr;gap:.3rem 1rem;margin:0}dl.props dt{font-weight:600}dl.props dd{margin:0;word-break:break-word}
.actions{display:flex;flex-wrap:wrap;gap:.6rem;align-items:flex-start}.actions>div{max-width:22rem}
.pager{display:flex;gap:1rem;margin:.6rem 0}
@media (max-width:600px){main{padding:0 .5rem}section,.card{padding:.7rem}dl.props{grid-template-columns:1fr}h1{font-size:1.3rem}}
`;
