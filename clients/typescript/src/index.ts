// A typed client for the Rendezvous API: the types are generated from openapi.json (src/schema.d.ts, by
// `make clients`), the calls are openapi-fetch's. Problems (application/problem+json) come back as `error`.
import createClient from "openapi-fetch";
import type { components, paths } from "./schema.js";

export type { components, paths };
export type Problem = components["schemas"]["Problem"];

/** A client for the service at `baseUrl`; `apiKey` is sent as a bearer token (none in dev mode). */
export function rendezvous(baseUrl: string, apiKey?: string) {
  const headers: Record<string, string> = apiKey ? { Authorization: `Bearer ${apiKey}` } : {};
  return createClient<paths>({ baseUrl, headers });
}
