import type { User } from '../core/model.js';
import type { Services } from '../services.js';
import { RequestBadRequest, RequestResourceNotFound } from './errors.js';

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isGuid(value: string): boolean {
  return GUID.test(value);
}

/**
 * `/users/{id | userPrincipalName}`: a GUID is an object id, anything with '@' a UPN
 * (case-insensitive); anything else is refused the way Graph refuses it.
 */
export async function findUserByKey(services: Services, key: string): Promise<User> {
  let user: User | null;
  if (isGuid(key)) user = await services.store.users.findById(services.tenant.id, key.toLowerCase());
  else if (key.includes('@')) user = await services.store.users.findByUserPrincipalName(services.tenant.id, key);
  else throw new RequestBadRequest(`Invalid object identifier '${key}'.`);
  if (!user) throw new RequestResourceNotFound(key);
  return user;
}
