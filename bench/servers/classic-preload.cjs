// Preloaded (node --require) into the unmodified classic y-websocket server
// (node_modules/y-websocket-classic/bin/server.js): answers the bench's IPC requests for
// memory figures and the number of documents the server holds (utils.js `docs`).
const path = require('node:path');

const utils = require(path.resolve(__dirname, '../../node_modules/y-websocket-classic/bin/utils.js'));

process.on('message', (msg) => {
  const rooms = utils.docs.size;
  if (msg.type === 'rooms') {
    process.send({ id: msg.id, rooms });
    return;
  }
  if (msg.type === 'mem') {
    if (typeof global.gc === 'function') {
      global.gc();
      global.gc();
    }
    const m = process.memoryUsage();
    process.send({
      id: msg.id,
      heapUsed: m.heapUsed,
      heapTotal: m.heapTotal,
      rss: m.rss,
      external: m.external,
      arrayBuffers: m.arrayBuffers,
      rooms: utils.docs.size,
    });
  }
});
process.on('disconnect', () => process.exit(0));
