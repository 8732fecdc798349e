/**
 * src/core/user-agent.ts: real user-agent strings of common browsers, operating systems and
 * libraries, read into the device description a session list shows.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { describeUserAgent } from '../../src/core/user-agent.js';

const CASES: readonly [string, string, string, string][] = [
  // [user agent, browser, operating system, description]
  [
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 Edg/120.0.2210.91',
    'Edge 120',
    'Windows 10',
    'Edge 120 on Windows 10',
  ],
  [
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/121.0.0.0 Safari/537.36',
    'Chrome 121',
    'Windows 10',
    'Chrome 121 on Windows 10',
  ],
  [
    'Mozilla/5.0 (Windows NT 6.1; Win64; x64; rv:115.0) Gecko/20100101 Firefox/115.0',
    'Firefox 115',
    'Windows 7',
    'Firefox 115 on Windows 7',
  ],
  [
    'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Safari/605.1.15',
    'Safari 17',
    'macOS',
    'Safari 17 on macOS',
  ],
  [
    'Mozilla/5.0 (iPhone; CPU iPhone OS 17_1_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1.2 Mobile/15E148 Safari/604.1',
    'Safari 17',
    'iOS 17',
    'Safari 17 on iOS 17',
  ],
  [
    'Mozilla/5.0 (iPad; CPU OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/119.0.6045.169 Mobile/15E148 Safari/604.1',
    'Chrome 119',
    'iOS 16',
    'Chrome 119 on iOS 16',
  ],
  [
    'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099.144 Mobile Safari/537.36',
    'Chrome 120',
    'Android 14',
    'Chrome 120 on Android 14',
  ],
  [
    'Mozilla/5.0 (Linux; Android 13; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/23.0 Chrome/115.0.0.0 Mobile Safari/537.36',
    'Samsung Internet 23',
    'Android 13',
    'Samsung Internet 23 on Android 13',
  ],
  [
    'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 OPR/106.0.0.0',
    'Opera 106',
    'Linux',
    'Opera 106 on Linux',
  ],
  ['Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0', 'Firefox 121', 'Linux', 'Firefox 121 on Linux'],
  [
    'Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36',
    'Chrome 120',
    'ChromeOS',
    'Chrome 120 on ChromeOS',
  ],
  [
    'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/120.0.6099.0 Safari/537.36',
    'Headless Chrome 120',
    'Linux',
    'Headless Chrome 120 on Linux',
  ],
  [
    'Mozilla/5.0 (Windows NT 6.3; Trident/7.0; rv:11.0) like Gecko',
    'Internet Explorer 11',
    'Windows 8.1',
    'Internet Explorer 11 on Windows 8.1',
  ],
  [
    'Mozilla/5.0 (Windows NT 10.0; Microsoft Windows 10.0.19045; en-US) PowerShell/7.4.0',
    'PowerShell 7',
    'Windows 10',
    'PowerShell 7 on Windows 10',
  ],
  [
    'AZURECLI/2.55.0 (DEB) azsdk-python-azure-mgmt-resource/23.1.0b2 Python/3.11.5 (Linux-6.2.0-x86_64-with-glibc2.35)',
    'Azure CLI 2',
    'Linux',
    'Azure CLI 2 on Linux',
  ],
  ['azsdk-python-identity/1.15.0 Python/3.11.4 (Windows-10-10.0.22621-SP0)', 'MSAL Python 1', 'Windows', 'MSAL Python 1 on Windows'],
  ['MSAL.NET/4.56.0.0 (NetCore; Windows 10)', 'MSAL.NET 4', 'Windows', 'MSAL.NET 4 on Windows'],
  ['msal.js.node/2.6.0 (linux; x64)', 'MSAL Node 2', 'Linux', 'MSAL Node 2 on Linux'],
  ['portcullis-cli', 'Portcullis CLI', 'Unknown', 'Portcullis CLI'],
  ['curl/8.4.0', 'curl 8', 'Unknown', 'curl 8'],
  ['python-requests/2.31.0', 'Python requests 2', 'Unknown', 'Python requests 2'],
  ['node', 'Node.js', 'Unknown', 'Node.js'],
  ['undici', 'Node.js', 'Unknown', 'Node.js'],
  ['axios/1.6.2', 'axios 1', 'Unknown', 'axios 1'],
  ['Go-http-client/1.1', 'Go 1', 'Unknown', 'Go 1'],
  ['okhttp/4.12.0', 'OkHttp 4', 'Unknown', 'OkHttp 4'],
  ['PostmanRuntime/7.36.0', 'Postman 7', 'Unknown', 'Postman 7'],
  ['Mozilla/5.0 (Windows NT 10.0; Win64; x64) SomethingNew/1.0', 'Unknown', 'Windows 10', 'Unknown client on Windows 10'],
  ['totally-custom-agent', 'Unknown', 'Unknown', 'Unknown device'],
];

describe('describeUserAgent', () => {
  for (const [ua, browser, operatingSystem, description] of CASES) {
    test(description, () => {
      assert.deepEqual(describeUserAgent(ua), { browser, operatingSystem, description });
    });
  }

  test('a missing or blank header is an unknown device', () => {
    const unknown = { browser: 'Unknown', operatingSystem: 'Unknown', description: 'Unknown device' };
    assert.deepEqual(describeUserAgent(undefined), unknown);
    assert.deepEqual(describeUserAgent(''), unknown);
    assert.deepEqual(describeUserAgent('   '), unknown);
  });

  test('a hostile header is cut before matching, so it answers at once and still describes the start', () => {
    const hostile = `Mozilla/5.0 (Windows NT 10.0) Firefox/99 ${'Version/1 '.repeat(100_000)}`;
    const described = describeUserAgent(hostile);
    assert.equal(described.description, 'Firefox 99 on Windows 10');
    // What lies past the cut changes nothing: no pattern runs over the whole header.
    assert.deepEqual(describeUserAgent(`${hostile.slice(0, 512)}${'x'.repeat(1_000)} Chrome/120 Android 14`), described);
  });
});
