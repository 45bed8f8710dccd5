import { buildIfStale } from './build-if-stale';

/** `npm start`: build the UI if needed, then run the server in this process. */
buildIfStale();
Object.assign(process.env, { NODE_ENV: 'production' });
await import('../server/index');
