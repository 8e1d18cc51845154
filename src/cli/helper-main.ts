import { join } from 'node:path';
import { runProtocolEntry } from './protocol-entry.ts';

/**
 * The entry of dist/protocol-helper.cjs (scripts/build.ts), which the checkout launcher
 * (bin/docker-credential-eidf) runs for the credential-helper verbs: those only, bundled on their
 * own so the file holds no other command. Everything else runs from main.ts (the sources).
 */
runProtocolEntry(process.argv.slice(2), join(import.meta.dirname, 'main.ts'));
