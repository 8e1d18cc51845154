/** The product version. The helper and the agent compare it to decide whether to restart the agent. */
export const VERSION = '0.1.0';
export const PRODUCT = 'docker-credential-eidf';
