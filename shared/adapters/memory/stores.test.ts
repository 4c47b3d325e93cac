/** Every storage contract suite against the in-memory backend. */
import { storageContracts } from '../store/contracts/all.ts';
import { createMemoryStores } from './stores.ts';

storageContracts('memory', async () => createMemoryStores());
