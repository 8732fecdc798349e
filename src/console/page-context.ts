/**
 * The two shapes of console route: a page (GET) and an action (POST). Both need a console session
 * (else: sign in first); actions also need a same-origin post with the session's CSRF token.
 * Errors become pages: Graph's refusal with its reason, anything else a plain page with the
 * request id (the error itself goes to the log only).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { esc } from '../web/html.js';
import { foreignPostReason } from '../web/same-origin-posts.js';
import { AREAS, type Area } from './areas.js';
import { GraphRefused, SignInAgain } from './graph.js';
import { layout, type Frame } from './layout.js';
import { sendConsolePage } from './respond.js';
import { csrfOf, csrfValid, sessionOf, type ConsoleRuntime } from './runtime.js';
import type { ConsoleSession } from './session-store.js';
import { publicHostRedirect } from './public-host.js';
import { startSignIn } from './sign-in.js';

export interface PageContext {
  rt: ConsoleRuntime;
  req: FastifyRequest;
  session: ConsoleSession;
  csrf: string;
  /** The frame of this area for a page titled `title`. */
  frame(title: string, current?: string): Frame;
  params: Record<string, string>;
  query: Record<string, string>;
  form: Record<string, string>;
}

export type Outcome = { html: string; status?: number } | { redirect: string };

type Handler = (ctx: PageContext) => Promise<Outcome>;

function errorHtml(area: Area, title: string, message: string, detail: string): string {
  return layout(
    { area, title },
    `<p>${esc(message)}</p><p class="muted">${esc(detail)}</p><p><a href="${AREAS[area].path}">Back to ${esc(AREAS[area].title)}</a></p>`,
  );
}

const strings = (o: unknown): Record<string, string> =>
  Object.fromEntries(Object.entries((o ?? {}) as Record<string, unknown>).filter((e): e is [string, string] => typeof e[1] === 'string'));

async function run(rt: ConsoleRuntime, area: Area, req: FastifyRequest, reply: FastifyReply, handler: Handler, post: boolean) {
  const session = sessionOf(rt, req, area);
  if (!session) {
    if (post)
      return sendConsolePage(
        reply,
        403,
        errorHtml(area, 'Signed out', 'Your console session has ended. Sign in again and retry.', `Request Id: ${req.id}`),
      );
    return startSignIn(rt, reply, area, req.url);
  }
  const csrf = await csrfOf(rt, session);
  const form = strings(req.body);
  if (post) {
    const foreign = foreignPostReason(req, new URL(rt.services.config.publicUrl).origin);
    if (foreign || !(await csrfValid(rt, session, form.csrf))) {
      req.log.warn({ requestId: req.id, reason: foreign ?? 'csrf' }, 'console post refused');
      return sendConsolePage(
        reply,
        403,
        errorHtml(
          area,
          'This request was blocked',
          'The form did not come from this console page. Go back, reload the page and try again.',
          `Request Id: ${req.id}`,
        ),
      );
    }
  }
  const user = { displayName: session.displayName, userPrincipalName: session.userPrincipalName, csrf };
  const ctx: PageContext = {
    rt,
    req,
    session,
    csrf,
    frame: (title, current) => ({ area, title, user, ...(current ? { current } : {}) }),
    params: strings(req.params),
    query: strings(req.query),
    form,
  };
  try {
    const out = await handler(ctx);
    if ('redirect' in out) return reply.code(303).header('cache-control', 'no-store').redirect(out.redirect);
    return sendConsolePage(reply, out.status ?? 200, out.html);
  } catch (e) {
    if (e instanceof SignInAgain) {
      rt.sessions.delete(session.id);
      return post ? reply.code(303).redirect(AREAS[area].path) : startSignIn(rt, reply, area, req.url);
    }
    if (e instanceof GraphRefused) {
      const title = e.status === 403 ? 'Not allowed' : e.status === 404 ? 'Not found' : 'Request refused';
      const why = e.status === 403 ? 'The server refused this for your account (docs/authorization.md says who may do what).' : e.message;
      return sendConsolePage(reply, e.status, errorHtml(area, title, why, `${e.code} · Request Id: ${req.id}`));
    }
    req.log.error({ err: e, requestId: req.id }, 'console page failed');
    return sendConsolePage(
      reply,
      500,
      errorHtml(area, 'Something went wrong', 'The page could not be shown. Try again in a moment.', `Request Id: ${req.id}`),
    );
  }
}

export function page(http: FastifyInstance, rt: ConsoleRuntime, area: Area, path: string, handler: Handler): void {
  http.get(path, (req, reply) => {
    // On the public URL's host first, before a cookie is set (public-host.ts).
    const there = publicHostRedirect(req, rt.services.config);
    if (there !== null) return reply.code(302).header('cache-control', 'no-store').redirect(there);
    return run(rt, area, req, reply, handler, false);
  });
}

export function action(http: FastifyInstance, rt: ConsoleRuntime, area: Area, path: string, handler: Handler): void {
  http.post(path, (req, reply) => run(rt, area, req, reply, handler, true));
}
