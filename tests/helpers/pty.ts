export { createPtyPair, type PtyPair } from '../../src/sim/pty.js';
