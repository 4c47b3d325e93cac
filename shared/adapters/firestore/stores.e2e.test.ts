/** Every storage contract suite against Firestore on the real emulator, one fresh project per test. */
import { afterAll } from 'vitest';
import { loadConfig } from '../../config.ts';
import { testEnv, testProjectId } from '../../testing/emulator.ts';
import { storageContracts } from '../store/contracts/all.ts';
import { createFirestoreStores, terminateFirestoreClients } from './stores.ts';

afterAll(terminateFirestoreClients);

storageContracts('firestore', async () => createFirestoreStores(loadConfig(testEnv(testProjectId('store')))));
