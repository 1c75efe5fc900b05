// The point app's service worker: the app shell is kept in a cache named
// after the build (__VERSION__ is replaced by the server with a hash of
// every file), served cache-first so the app opens with no network at all,
// and replaced as a whole when a new build is installed. API requests are
// not touched: the app keeps its data in IndexedDB and knows when it is
// offline.

const CACHE = 'vaxtrace-point-__VERSION__';
const SHELL = [
  './', 'index.html', 'manifest.webmanifest', 'point.css', 'i18n.json', 'icon.svg', 'icon-192.png', 'icon-512.png',
  'js/main.js', 'js/ui.js', 'js/store.js', 'js/api.js', 'js/sync.js', 'js/signin.js', 'js/dose.js', 'js/queue.js',
  'js/close.js', 'js/users.js', 'js/account.js', 'js/iin.js', 'js/rules.js', 'js/gs1.js', 'js/scan.js', 'js/due.js',
];

self.addEventListener('install', (e) => {
  e.waitUntil(caches.open(CACHE).then((c) => c.addAll(SHELL.map((p) => new Request(p, { cache: 'reload' })))).then(() => self.skipWaiting()));
});

self.addEventListener('activate', (e) => {
  e.waitUntil(caches.keys()
    .then((keys) => Promise.all(keys.filter((k) => k.startsWith('vaxtrace-point-') && k !== CACHE).map((k) => caches.delete(k))))
    .then(() => self.clients.claim()));
});

self.addEventListener('fetch', (e) => {
  const url = new URL(e.request.url);
  if (e.request.method !== 'GET' || url.origin !== location.origin || !url.pathname.startsWith('/point/')) return;
  const key = e.request.mode === 'navigate' ? 'index.html' : e.request;
  e.respondWith(caches.open(CACHE).then(async (c) => {
    const hit = await c.match(key, { ignoreSearch: e.request.mode === 'navigate' });
    if (hit) return hit;
    const res = await fetch(e.request);
    if (res.ok && e.request.mode !== 'navigate') c.put(e.request, res.clone());
    return res;
  }));
});
