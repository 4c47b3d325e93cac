import type { Config } from '../../config.ts';
import type { SecretSource } from '../../domain/ports.ts';

/**
 * Opens the secret source the configuration names: Secret Manager, or the
 * dev-only local directory (`IAM_LOCAL_SECRETS_DIR`). Only the chosen
 * adapter's SDK is imported; no network call happens until the first `get`.
 */
export async function openSecretSource(config: Pick<Config, 'secrets' | 'projectId'>): Promise<SecretSource> {
  if (config.secrets.kind === 'local') {
    const { createLocalSecretSource } = await import('../local/local-secret-source.ts');
    return createLocalSecretSource(config.secrets.dir);
  }
  const { createSecretManagerClient, createSecretManagerSource } = await import('./secret-manager-source.ts');
  const client = await createSecretManagerClient({ endpoint: config.secrets.endpoint });
  return createSecretManagerSource(client, { projectId: config.projectId });
}
