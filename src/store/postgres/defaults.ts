/**
 * Pool defaults, in a module of their own so the CLI's option parser can show them without
 * loading the driver. 10 connections per instance: a request holds one for a few milliseconds,
 * and N instances × 10 stays well under PostgreSQL's default max_connections (100) for N ≤ 8.
 */
export const PG_DEFAULTS = { poolMax: 10, statementTimeoutMs: 5_000, connectionTimeoutMs: 5_000 } as const;
