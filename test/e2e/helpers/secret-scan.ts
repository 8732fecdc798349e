/**
 * Looks for issued credentials in captured log text. Each secret is searched as itself and in
 * the forms a log line could carry it: URL-encoded (form bodies, query strings), inside HTTP
 * Basic's base64, a JWT's signature segment on its own, and — for long opaque values (refresh
 * tokens, codes, device codes) and JWT signatures — every 16-character window at a step of 8,
 * so any 24 or more consecutive characters of one are found wherever they appear.
 */
export interface Finding {
  label: string;
  form: string;
  at: number;
  context: string;
}

const WINDOW = 16;
const STEP = 8;

export class SecretSet {
  private readonly needles = new Map<string, { label: string; form: string }>();
  private readonly labels = new Set<string>();
  private readonly values = new Set<string>();

  /** Distinct secret values checked. */
  get secretCount(): number {
    return this.values.size;
  }
  /** Distinct strings searched for (all forms and windows). */
  get needleCount(): number {
    return this.needles.size;
  }
  /** Labels of the secrets, by kind (for the report). */
  kinds(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const l of this.labels) {
      const kind = l.replace(/#.*$/, '');
      out[kind] = (out[kind] ?? 0) + 1;
    }
    return out;
  }

  add(label: string, value: string | undefined | null): void {
    if (!value) throw new Error(`secret ${label} is empty: the flow did not produce it`);
    if (value.length < 8) throw new Error(`secret ${label} is too short to search for without false hits`);
    if (this.values.has(value)) return;
    const numbered = `${label}#${this.values.size + 1}`;
    this.values.add(value);
    this.labels.add(numbered);
    this.put(value, numbered, 'raw');
    if (encodeURIComponent(value) !== value) this.put(encodeURIComponent(value), numbered, 'url-encoded');
    const parts = value.split('.');
    if (parts.length === 3 && parts.every((p) => /^[A-Za-z0-9_-]+$/.test(p))) {
      this.put(parts[2]!, numbered, 'jwt signature');
      this.windows(parts[2]!, numbered, 'jwt signature window');
    } else if (value.length >= 24) {
      this.windows(value, numbered, 'substring');
    }
  }

  /** A client id and secret as HTTP Basic sends them (RFC 6749 §2.3.1). */
  addBasic(label: string, clientId: string, secret: string): void {
    this.add(label, secret);
    const basic = Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(secret)}`).toString('base64');
    this.put(basic, `${label}#basic`, 'basic base64');
  }

  scan(text: string): Finding[] {
    const found: Finding[] = [];
    for (const [needle, { label, form }] of this.needles) {
      const at = text.indexOf(needle);
      if (at >= 0) found.push({ label, form, at, context: text.slice(Math.max(0, at - 60), at + needle.length + 20) });
    }
    return found;
  }

  private windows(value: string, label: string, form: string): void {
    for (let i = 0; i + WINDOW <= value.length; i += STEP) this.put(value.slice(i, i + WINDOW), label, form);
    this.put(value.slice(-WINDOW), label, form);
  }

  private put(needle: string, label: string, form: string): void {
    if (!this.needles.has(needle)) this.needles.set(needle, { label, form });
  }
}
