// Realistic synthetic Live Stream hits, as the webview receives them (parsed
// losslessly: ids are exact digit strings). Self-contained on purpose: tests and
// the bench inject `genHits.toString()` into the page, so it must not close over
// anything (100 000 hits are generated in the page instead of being shipped
// over CDP).
export function genHits(n, firstSeq, baseMs, opts) {
  const o = opts || {};
  const pages = ['Home', 'Search Results', 'Product Detail', 'Cart', 'Checkout', 'Order Confirmation', 'Account', 'Help'];
  const paths = ['/', '/search', '/p/black-running-shoes', '/cart', '/checkout', '/checkout/thanks', '/account', '/help'];
  const cities = ['paris', 'berlin', 'new york', 'tokyo', 'sydney', 'london'];
  const suites = ['examplecomprod', 'examplecomdev', 'shopglobal'];
  // Deterministic PRNG so runs are comparable.
  let s = (o.seed || 12345) >>> 0;
  const rnd = () => { s = (s * 1664525 + 1013904223) >>> 0; return s / 4294967296; };
  const digits = (len) => { let d = String(1 + Math.floor(rnd() * 9)); while (d.length < len) d += Math.floor(rnd() * 10); return d; };
  const out = new Array(n);
  for (let i = 0; i < n; i++) {
    const seq = firstSeq + i;
    const p = Math.floor(rnd() * pages.length);
    const receivedAt = baseMs + i * (o.spacingMs || 10);
    const timeGMT = Math.floor((receivedAt - 20000 - rnd() * 60000) / 1000);
    const kind = rnd();
    const data = {
      reportSuite: suites[seq % suites.length],
      pageName: pages[p] + (o.tag ? ' ' + o.tag : '') + ' #' + seq,
      pageURL: 'https://www.example.com' + paths[p] + '?q=' + seq,
      referrer: 'https://www.google.com/search?q=shoes+' + (seq % 97),
      hitIdHigh: digits(19), hitIdLow: digits(19),
      visIdHigh: digits(19), visIdLow: digits(19), visIdType: 3,
      timeGMT, receivedTimeGMT: timeGMT + 2,
      hitSource: 1,
      evars: { evars: { evar1: 'Summer Shoe Promo', evar5: seq % 2 ? 'summer' : 'winter', campaign: 'DFA:' + (seq % 1000) } },
      props: { prop1: pages[p], prop3: 'p3-' + (seq % 13) },
      events: kind > 0.8 ? { purchase: [{ count: 1, exponent: 0, unique: '' }], event1: [{ count: 3, exponent: 0, unique: '' }] } : {},
      products: kind > 0.8 ? [{ category: 'Clothing', name: 'Mens Black Running Shoes', units: 1 + (seq % 3), revenue: 1799, evars: {}, events: {} }] : [],
      pageEventType: kind < 0.15 ? 'link' : undefined,
      linkURL: kind < 0.15 ? 'https://www.example.com/download.pdf' : undefined,
      geoCity: cities[seq % cities.length], geoCountry: 'fra', geoRegion: 'j', geoZip: '75001',
      browser: 'Google Chrome 120.0', operatingSystem: 'Macintosh',
      userAgent: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36',
      currency: 'USD', ip: '91.71.30.' + (seq % 255),
    };
    if (data.pageEventType === undefined) { delete data.pageEventType; delete data.linkURL; }
    out[i] = { seq, key: data.hitIdHigh + ':' + data.hitIdLow, receivedAt, data };
  }
  return out;
}
