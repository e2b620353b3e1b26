// The example page's event log (a file, not an inline script: the page works under a strict CSP).
const clf = document.getElementById('clf');
const log = document.getElementById('log');
const q = new URLSearchParams(location.search);
if (q.has('model')) clf.setAttribute('model', q.get('model'));
if (q.has('src')) clf.setAttribute('src', q.get('src'));
if (q.has('camera')) clf.setAttribute('camera', '');
window.events = [];
for (const type of ['prediction', 'error'])
  clf.addEventListener(type, (e) => {
    window.events.push({ type, detail: e.detail });
    log.textContent = `${type}: ${JSON.stringify(e.detail, null, 1)}\n` + log.textContent;
  });
