// The journey page's only script: it keeps the admin token (from the link's #token=, which never
// reaches the server, or typed in), fetches the server-rendered fragments and inserts them.
/* global document, fetch, history, location, sessionStorage, setInterval, clearInterval, URLSearchParams */
const KEY = 'gotuto-journey-token';
const byId = (id) => document.getElementById(id);

const fromLink = new URLSearchParams(location.hash.slice(1)).get('token');
if (fromLink) {
  sessionStorage.setItem(KEY, fromLink);
  history.replaceState(null, '', location.pathname + location.search);
}
const token = () => byId('token').value.trim() || sessionStorage.getItem(KEY) || '';
if (sessionStorage.getItem(KEY)) byId('token-label').classList.add('hidden');

const load = async (path, target) => {
  const response = await fetch(path, { headers: { authorization: `Bearer ${token()}` } });
  const body = await response.text();
  if ((response.headers.get('content-type') || '').startsWith('text/html')) {
    target.innerHTML = body;
    return;
  }
  const problem = document.createElement('p');
  problem.className = 'problem';
  let detail = body;
  try {
    detail = JSON.parse(body).detail || body;
  } catch {
    // not JSON: shown as it came
  }
  problem.textContent = `${response.status}: ${detail}`;
  target.replaceChildren(problem);
};

const search = (q) => {
  const params = new URLSearchParams(location.search);
  params.set('q', q);
  params.delete('view');
  history.replaceState(null, '', `${location.pathname}?${params}`);
  return load(`/journey/order?q=${encodeURIComponent(q)}`, byId('journey'));
};

let polling;
const show = (view) => {
  const flow = view === 'flow';
  byId('journey').classList.toggle('hidden', flow);
  byId('flow').classList.toggle('hidden', !flow);
  byId('show-journey').setAttribute('aria-pressed', String(!flow));
  byId('show-flow').setAttribute('aria-pressed', String(flow));
  clearInterval(polling);
  if (flow) {
    const refresh = () => load('/journey/flow', byId('flow'));
    void refresh();
    polling = setInterval(refresh, 3000);
  }
};

byId('search').addEventListener('submit', (event) => {
  event.preventDefault();
  const q = byId('search-input').value.trim();
  if (q) {
    show('journey');
    void search(q);
  }
});
byId('show-journey').addEventListener('click', () => show('journey'));
byId('show-flow').addEventListener('click', () => show('flow'));

const initial = new URLSearchParams(location.search);
if (initial.get('q')) {
  byId('search-input').value = initial.get('q');
  void search(initial.get('q'));
} else if (initial.get('view') === 'flow') show('flow');
