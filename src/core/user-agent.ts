/**
 * A small, dependency-free reading of a User-Agent header (RFC 9110 §10.1.5) into what a person
 * recognises in a session list: "Edge 120 on Windows 10", "Portcullis CLI on Linux", "MSAL Python".
 * It is a description for display, never a decision: user agents are client-chosen and trivially
 * spoofed, so nothing may be authorized on what this returns.
 */
export interface DeviceDescription {
  /** Browser or client with its major version, e.g. "Chrome 120", "curl 8", "Portcullis CLI". */
  browser: string;
  /** Operating system, e.g. "Windows 10", "iOS 17", "macOS"; "Unknown" when the header says nothing. */
  operatingSystem: string;
  /** One line for tables: "Chrome 120 on Windows 10", or just the client when the OS is unknown. */
  description: string;
}

export const UNKNOWN = 'Unknown';

/** Longer than any real user agent; a hostile header is cut before any pattern runs over it. */
const MAX_LENGTH = 512;

interface Rule {
  pattern: RegExp;
  name: string;
}

/**
 * Order matters: Chromium derivatives also say "Chrome/" and "Safari/", and Chrome says "Safari/",
 * so the most specific token goes first (https://developer.mozilla.org/en-US/docs/Web/HTTP/Headers/User-Agent).
 * Libraries and command-line clients come before browsers because some (PowerShell) also start with "Mozilla/5.0".
 */
const CLIENTS: readonly Rule[] = [
  { pattern: /\bportcullis-cli(?:\/(\d+))?/i, name: 'Portcullis CLI' },
  { pattern: /\bAZURECLI\/(\d+)/i, name: 'Azure CLI' },
  { pattern: /\bazsdk-python-identity\/(\d+)|\bmsal-python\/(\d+)|\bMSAL\.Python\/(\d+)/i, name: 'MSAL Python' },
  { pattern: /\bMSAL\.NET\/(\d+)|\bMSAL\.(?:Desktop|NetCore|CoreCLR|Xamarin)[\w.]*\/(\d+)/i, name: 'MSAL.NET' },
  { pattern: /\bmsal\.js\.node\/(\d+)|\bmsal-node\/(\d+)/i, name: 'MSAL Node' },
  { pattern: /\bmsal\.js\.browser\/(\d+)/i, name: 'MSAL.js' },
  { pattern: /\bPowerShell\/(\d+)/i, name: 'PowerShell' },
  { pattern: /^curl\/(\d+)/i, name: 'curl' },
  { pattern: /^Wget\/(\d+)/i, name: 'Wget' },
  { pattern: /^python-requests\/(\d+)/i, name: 'Python requests' },
  { pattern: /^python-urllib\d*\/(\d+)/i, name: 'Python urllib' },
  { pattern: /^python-httpx\/(\d+)/i, name: 'Python httpx' },
  { pattern: /^aiohttp\/(\d+)|\bPython\/[\d.]+ aiohttp\/(\d+)/i, name: 'Python aiohttp' },
  { pattern: /^axios\/(\d+)/i, name: 'axios' },
  { pattern: /^node-fetch(?:\/(\d+))?/i, name: 'node-fetch' },
  { pattern: /^undici(?:\/(\d+))?$/i, name: 'Node.js' },
  { pattern: /^node(?:\/v?(\d+))?(?:$|\s)/i, name: 'Node.js' },
  { pattern: /^Go-http-client\/(\d+)/i, name: 'Go' },
  { pattern: /^okhttp\/(\d+)/i, name: 'OkHttp' },
  { pattern: /^Java\/(\d+)/i, name: 'Java' },
  { pattern: /^Apache-HttpClient\/(\d+)/i, name: 'Apache HttpClient' },
  { pattern: /^PostmanRuntime\/(\d+)/i, name: 'Postman' },
  { pattern: /^insomnia\/(\d+)/i, name: 'Insomnia' },
  { pattern: /\bEdg(?:e|A|iOS)?\/(\d+)/, name: 'Edge' },
  { pattern: /\bOPR\/(\d+)|\bOpera\/(\d+)/, name: 'Opera' },
  { pattern: /\bSamsungBrowser\/(\d+)/, name: 'Samsung Internet' },
  { pattern: /\bVivaldi\/(\d+)/, name: 'Vivaldi' },
  { pattern: /\bYaBrowser\/(\d+)/, name: 'Yandex Browser' },
  { pattern: /\b(?:Firefox|FxiOS)\/(\d+)/, name: 'Firefox' },
  { pattern: /\bHeadlessChrome\/(\d+)/, name: 'Headless Chrome' },
  { pattern: /\b(?:Chrome|CriOS)\/(\d+)/, name: 'Chrome' },
  { pattern: /\bVersion\/(\d+)[\w.]* (?:Mobile\/\w+ )?Safari\//, name: 'Safari' },
  { pattern: /\bTrident\/.*\brv:(\d+)|\bMSIE (\d+)/, name: 'Internet Explorer' },
];

/** Windows NT kernel versions to marketing names; NT 10.0 is both Windows 10 and 11 (the header cannot tell). */
const WINDOWS: Readonly<Record<string, string>> = {
  '10.0': 'Windows 10',
  '6.3': 'Windows 8.1',
  '6.2': 'Windows 8',
  '6.1': 'Windows 7',
  '6.0': 'Windows Vista',
  '5.1': 'Windows XP',
};

function operatingSystemOf(ua: string): string {
  const windows = /\bWindows NT (\d+\.\d+)/.exec(ua);
  if (windows) return WINDOWS[windows[1] ?? ''] ?? 'Windows';
  if (/\bWindows\b|\bwin32\b/i.test(ua)) return 'Windows';
  const ios = /\b(?:iPhone|iPad|iPod)\b.*?\bOS (\d+)_/.exec(ua);
  if (ios) return `iOS ${ios[1]}`;
  if (/\b(?:iPhone|iPad|iPod)\b/.test(ua)) return 'iOS';
  if (/\bMac OS X\b|\bMacintosh\b|\bdarwin\b/i.test(ua)) return 'macOS';
  const android = /\bAndroid (\d+)/.exec(ua);
  if (android) return `Android ${android[1]}`;
  if (/\bAndroid\b/.test(ua)) return 'Android';
  if (/\bCrOS\b/.test(ua)) return 'ChromeOS';
  if (/\bLinux\b|\bX11\b|\bUbuntu\b|\bFedora\b/i.test(ua)) return 'Linux';
  return UNKNOWN;
}

function browserOf(ua: string): string {
  for (const { pattern, name } of CLIENTS) {
    const match = pattern.exec(ua);
    if (!match) continue;
    const version = match.slice(1).find((group) => group !== undefined);
    return version ? `${name} ${version}` : name;
  }
  return UNKNOWN;
}

export function describeUserAgent(ua: string | undefined): DeviceDescription {
  const text = (ua ?? '').slice(0, MAX_LENGTH).trim();
  if (text === '') return { browser: UNKNOWN, operatingSystem: UNKNOWN, description: 'Unknown device' };
  const browser = browserOf(text);
  const operatingSystem = operatingSystemOf(text);
  const description =
    operatingSystem === UNKNOWN
      ? browser === UNKNOWN
        ? 'Unknown device'
        : browser
      : browser === UNKNOWN
        ? `Unknown client on ${operatingSystem}`
        : `${browser} on ${operatingSystem}`;
  return { browser, operatingSystem, description };
}
