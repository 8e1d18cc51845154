import type { Adapter, AdapterPayload } from 'oidc-provider';

/**
 * In-memory storage for oidc-provider that, unlike the bundled dev adapter, can be listed:
 * the sandbox must find every grant, session and token of one user to revoke them all
 * (`revokeIdpSession`). One store per sandbox, so two sandboxes in one process stay apart.
 */
interface Entry {
  model: string;
  payload: AdapterPayload;
  expiresAt: number; // ms since epoch; Infinity when the model has no expiry
}

export class IdpStore {
  readonly entries = new Map<string, Entry>(); // key: `${model}:${id}`

  get(key: string): Entry | undefined {
    const entry = this.entries.get(key);
    if (entry && entry.expiresAt <= Date.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return entry;
  }

  /** Live entries of one model, as [id, payload]. */
  list(model: string): Array<[string, AdapterPayload]> {
    const out: Array<[string, AdapterPayload]> = [];
    for (const key of [...this.entries.keys()]) {
      const entry = this.get(key);
      if (entry?.model === model) out.push([key.slice(model.length + 1), entry.payload]);
    }
    return out;
  }

  /** A factory in the shape oidc-provider's `adapter` option accepts. */
  adapterFactory(): (model: string) => Adapter {
    return (model: string) => new StoreAdapter(model, this);
  }
}

class StoreAdapter implements Adapter {
  readonly model: string;
  readonly store: IdpStore;

  constructor(model: string, store: IdpStore) {
    this.model = model;
    this.store = store;
  }

  key(id: string): string {
    return `${this.model}:${id}`;
  }

  async upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void> {
    const expiresAt = typeof expiresIn === 'number' ? Date.now() + expiresIn * 1000 : Infinity;
    this.store.entries.set(this.key(id), { model: this.model, payload, expiresAt });
  }

  async find(id: string): Promise<AdapterPayload | undefined> {
    return this.store.get(this.key(id))?.payload;
  }

  async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
    return this.store.list(this.model).find(([, p]) => p.userCode === userCode)?.[1];
  }

  async findByUid(uid: string): Promise<AdapterPayload | undefined> {
    return this.store.list(this.model).find(([, p]) => p.uid === uid)?.[1];
  }

  async consume(id: string): Promise<void> {
    const entry = this.store.get(this.key(id));
    if (entry) entry.payload.consumed = Math.floor(Date.now() / 1000);
  }

  async destroy(id: string): Promise<void> {
    this.store.entries.delete(this.key(id));
  }

  async revokeByGrantId(grantId: string): Promise<void> {
    for (const [key, entry] of [...this.store.entries]) {
      if (entry.model !== 'Grant' && entry.payload.grantId === grantId) this.store.entries.delete(key);
    }
  }
}
