/**
 * Client and device identifiers as login requests carry them. There is no
 * client registry yet: a `client_id` is only checked against a strict
 * pattern and recorded on the session (docs/login.md). A registry would turn
 * an unknown client into `invalid_client`.
 */
import * as v from 'valibot';

/** `client_id`: 1-128 letters, digits, `.`, `_`, `:` or `-`, starting with a letter or digit. */
export const ClientIdSchema = v.pipe(
  v.string(),
  v.regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/, 'a client id is 1-128 letters, digits, dots, underscores, colons or hyphens'),
);

/**
 * `device_id`: 1-64 letters, digits, `.`, `_` or `-`. No colon: a device id
 * becomes part of a certificate's `urn:melmastoon:tenant:<tid>:device:<id>` URI.
 */
export const DeviceIdSchema = v.pipe(
  v.string(),
  v.regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'a device id is 1-64 letters, digits, dots, underscores or hyphens'),
);

/** The client of a magic link requested without a `client_id`. */
export const DEFAULT_MAGIC_LINK_CLIENT = 'magic-link';
