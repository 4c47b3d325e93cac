import * as v from 'valibot';

/** The residency regions. Every tenant's data lives in its region's Firestore database. */
export const REGIONS = ['eu', 'me', 'us'] as const;
/** A residency region. */
export type Region = (typeof REGIONS)[number];

/** Tenant ids: lower-case letters, digits and inner hyphens, 1 to 63 characters. */
export const TenantIdSchema = v.pipe(
  v.string(),
  v.regex(/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/, 'a tenant id is 1-63 lower-case letters, digits or hyphens'),
);

/** Role names, as they appear in the `roles` claim. */
const RoleSchema = v.pipe(v.string(), v.regex(/^[a-z][a-z0-9_.:-]{0,63}$/));
const RolesSchema = v.pipe(v.array(RoleSchema), v.maxLength(64));

const seconds = (min: number, max: number) => v.pipe(v.number(), v.integer(), v.minValue(min), v.maxValue(max));

/**
 * A strict object that is not an array: valibot's object schemas accept arrays
 * (`typeof [] === 'object'`), so `[]` would pass as an empty policy section.
 */
const section = <const E extends v.ObjectEntries>(entries: E) =>
  v.pipe(
    v.unknown(),
    v.check((x) => typeof x === 'object' && x !== null && !Array.isArray(x), 'expected an object'),
    v.strictObject(entries),
  );

/**
 * The tenant policy as an event or an admin may send it: every field optional,
 * unknown fields refused. {@link fillPolicyDefaults} turns it into a {@link TenantPolicy}.
 */
export const PolicyInputSchema = section({
  mfa: v.optional(
    section({
      required_for_roles: v.optional(RolesSchema),
      webauthn_required_for_roles: v.optional(RolesSchema),
    }),
  ),
  lockout: v.optional(
    section({
      threshold: v.optional(seconds(1, 100)),
      unlock_after_seconds: v.optional(seconds(60, 86_400)),
    }),
  ),
  session: v.optional(
    section({
      refresh_grace_seconds: v.optional(seconds(0, 120)),
      idle_seconds: v.optional(seconds(300, 31_536_000)),
      absolute_seconds: v.optional(seconds(300, 31_536_000)),
    }),
  ),
  sso: v.optional(
    section({
      required: v.optional(v.boolean()),
      emergency_fallback: v.optional(v.picklist(['none', 'password', 'magic_link'])),
    }),
  ),
  webauthn: v.optional(
    section({
      rp_id: v.optional(v.pipe(v.string(), v.regex(/^[a-z0-9.-]{1,253}$/i))),
      origins: v.optional(v.pipe(v.array(v.pipe(v.string(), v.url(), v.maxLength(2048))), v.minLength(1), v.maxLength(16))),
    }),
  ),
  device_cert: v.optional(section({ validity_days: v.optional(seconds(1, 397)) })),
});

/** A policy as received, before defaults. */
export type PolicyInput = v.InferOutput<typeof PolicyInputSchema>;

/** A tenant policy with every default filled in (SPEC section 3). */
export interface TenantPolicy {
  readonly mfa: { readonly required_for_roles: readonly string[]; readonly webauthn_required_for_roles: readonly string[] };
  readonly lockout: { readonly threshold: number; readonly unlock_after_seconds: number };
  readonly session: {
    readonly refresh_grace_seconds: number;
    readonly idle_seconds: number;
    readonly absolute_seconds: number;
  };
  readonly sso: { readonly required: boolean; readonly emergency_fallback: 'none' | 'password' | 'magic_link' };
  readonly webauthn: { readonly rp_id: string; readonly origins: readonly string[] };
  readonly device_cert: { readonly validity_days: number };
}

/** Deployment facts the policy defaults depend on. */
export interface PolicyDefaultsContext {
  /** The public origin of the edge, e.g. `https://id.melmastoon.com`. */
  readonly publicOrigin: string;
}

/** Default idle lifetime of a session family: 14 days. */
export const DEFAULT_IDLE_SECONDS = 14 * 86_400;
/** Default absolute lifetime of a session family: 90 days. */
export const DEFAULT_ABSOLUTE_SECONDS = 90 * 86_400;

/**
 * The default WebAuthn origins: the edge's origin. A loopback edge
 * (`http://127.0.0.1:<port>`) also allows `http://localhost:<port>`, the
 * origin a browser must use there (the RP ID `localhost` must be a suffix of
 * the page's host, and an IP address cannot be an RP ID).
 */
function defaultWebauthnOrigins(origin: URL): string[] {
  if (origin.hostname !== '127.0.0.1') return [origin.origin];
  const local = new URL(origin.origin);
  local.hostname = 'localhost';
  return [origin.origin, local.origin];
}

/**
 * Fills the defaults of SPEC section 3. Returns a string describing the first
 * inconsistency (an idle lifetime longer than the absolute one) or the policy.
 */
export function fillPolicyDefaults(input: PolicyInput | undefined, ctx: PolicyDefaultsContext): TenantPolicy | string {
  const p = input ?? {};
  const origin = new URL(ctx.publicOrigin);
  const policy: TenantPolicy = {
    mfa: {
      required_for_roles: p.mfa?.required_for_roles ?? [],
      webauthn_required_for_roles: p.mfa?.webauthn_required_for_roles ?? [],
    },
    lockout: {
      threshold: p.lockout?.threshold ?? 5,
      unlock_after_seconds: p.lockout?.unlock_after_seconds ?? 900,
    },
    session: {
      refresh_grace_seconds: p.session?.refresh_grace_seconds ?? 10,
      idle_seconds: p.session?.idle_seconds ?? DEFAULT_IDLE_SECONDS,
      absolute_seconds: p.session?.absolute_seconds ?? DEFAULT_ABSOLUTE_SECONDS,
    },
    sso: { required: p.sso?.required ?? false, emergency_fallback: p.sso?.emergency_fallback ?? 'none' },
    webauthn: {
      rp_id: p.webauthn?.rp_id ?? (origin.hostname === '127.0.0.1' ? 'localhost' : origin.hostname),
      origins: p.webauthn?.origins ?? defaultWebauthnOrigins(origin),
    },
    device_cert: { validity_days: p.device_cert?.validity_days ?? 30 },
  };
  if (policy.session.idle_seconds > policy.session.absolute_seconds) {
    return 'session.idle_seconds must not exceed session.absolute_seconds';
  }
  return policy;
}

/** A tenant as stored in its region's database. */
export interface Tenant {
  readonly tenant_id: string;
  readonly region: Region;
  readonly policy: TenantPolicy;
  /** Incremented by every applied tenant event. */
  readonly version: number;
  readonly created_at: string;
  readonly updated_at: string;
}
