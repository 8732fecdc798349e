/**
 * `portcullis revoke --receipt`: after the revoke answered, reads its receipt (docs/receipts.md)
 * under the client-request-id the revoke was sent with, waiting up to `--receipt-timeout` seconds
 * for its messages (back-channel logout, Shared Signals) to be delivered or given up, then prints it.
 */
import type { GraphClient, RevocationReceipt } from '../sdk/index.js';
import { CliError, EXIT } from './cli-error.js';

/** Default wait for deliveries, and the poll interval. */
export const RECEIPT_TIMEOUT_SECONDS = 10;
const POLL_MS = 250;

export function parseReceiptTimeout(raw: string | undefined): number {
  if (raw === undefined) return RECEIPT_TIMEOUT_SECONDS;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0 || n > 600)
    throw new CliError('--receipt-timeout must be a number of seconds from 0 to 600', EXIT.USAGE);
  return n;
}

const settled = (r: RevocationReceipt) => r.notifications.state !== 'planning' && r.notifications.pending === 0;

/** The receipt once its deliveries settled, or as it stands when the wait is over (`complete` false). */
export async function awaitReceipt(
  client: GraphClient,
  correlationId: string,
  timeoutSeconds: number,
): Promise<{ receipt: RevocationReceipt; complete: boolean }> {
  const deadline = Date.now() + timeoutSeconds * 1000;
  for (;;) {
    const receipt = await client.revocationReceipt(correlationId);
    if (settled(receipt)) return { receipt, complete: true };
    if (Date.now() + POLL_MS > deadline) return { receipt, complete: false };
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

/** The text form: what was cut, by application, then each message's outcome. */
export function receiptText(r: RevocationReceipt, complete: boolean): string {
  const lines = [
    `Receipt ${r.correlationId}: ${r.revocationType} of ${r.user.userPrincipalName} at ${r.revokedDateTime}`,
    `Cut: ${r.sessionsRevoked} session(s), ${r.grantsRevoked} grant(s), ${r.refreshTokensRevoked} refresh token(s)`,
  ];
  for (const a of r.applications) {
    lines.push(`  ${a.appId}\tgrants=${a.grantIds.length}\trefreshTokens=${a.refreshTokenIds.length}\tsessions=${a.sessionIds.length}`);
  }
  const n = r.notifications;
  lines.push(
    n.state === 'none'
      ? 'Notifications: none'
      : `Notifications: ${n.delivered} delivered, ${n.failed} failed, ${n.pending} pending${complete ? '' : ' (still waiting when --receipt-timeout ran out)'}`,
  );
  for (const d of r.deliveries) {
    lines.push(`  ${d.channel}\t${d.destination}\t${d.status}\tattempts=${d.attempts}${d.lastError ? `\t${d.lastError}` : ''}`);
  }
  return lines.join('\n');
}
