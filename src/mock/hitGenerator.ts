/**
 * Deterministic generator of demo Live Stream records, shaped like Adobe's
 * published sample (shared/fixtures/adobe-sample-hit.json). It feeds the mock
 * server, `tail --demo` and the extension's demo stream, so it deliberately
 * produces the awkward parts of real records: 64-bit ids beyond 2^53, events
 * with exponents, products with their own eVars/events, list variables with
 * ASCII-code delimiters, multi-byte text and, periodically, hostile strings.
 */

export interface HitGeneratorOptions {
  /** PRNG seed; the same seed and the same `nowMs` sequence give the same records. Default 1. */
  seed?: number;
  /** Every Nth hit carries hostile strings (XSS, RTL override, soft hyphen keys...). 0 = never. Default 25. */
  hostileEvery?: number;
  /**
   * Every Nth hit breaks a tracking rule (issue 13), in turn: an e-mail address in a prop, a card
   * number in an eVar, a phone number in a prop, an eVar over 255 bytes, an event with value 0, a
   * field Live Stream does not send. 0 = never. Default 17.
   */
  violationEvery?: number;
  /** Number of distinct visitors (stable visIdHigh/visIdLow each). Default 8. */
  visitors?: number;
  /** Report suites hits are spread over (first one gets most traffic). Default demoprod, demodev, demostage. */
  reportSuites?: string[];
}

export interface HitGenerator {
  /** One record as single-line JSON text, no trailing newline. `nowMs` anchors timeGMT/receivedTimeGMT. */
  next(nowMs: number): string;
  /** Index (0-based) of the visitor of the last record returned: lets the mock split hits by visitor. */
  readonly lastVisitor: number;
  /** Records produced so far. */
  readonly count: number;
}

/** Hostile strings the UI must render as inert text. Exported so tests can look for them. */
export const HOSTILE = {
  script: '<script>alert(1)</script>',
  img: '<img src=x onerror=alert(1)>',
  jsUrl: 'javascript:alert(1)',
  rtl: '\u202e',
  softHyphenKey: 'site-\u00adhier',
  softHyphenLang: 'en-\u00adUS',
  quotes: 'quote " backslash \\ apostrophe \' done',
  emoji: '🎉',
  lineSeparator: '\u2028',
} as const;

// ---------------------------------------------------------------------------
// PRNG: sfc32 seeded through splitmix32. Small, fast, good enough for demo data,
// and fully deterministic across platforms (pure 32-bit integer arithmetic).

function splitmix32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x9e3779b9) | 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
}

class Rng {
  private a: number; private b: number; private c: number; private d: number;
  constructor(seed: number) {
    const sm = splitmix32(seed);
    this.a = sm(); this.b = sm(); this.c = sm(); this.d = sm();
    for (let i = 0; i < 12; i++) this.u32();
  }
  u32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }
  /** Integer in [0, n). */
  int(n: number): number { return Math.floor((this.u32() / 4294967296) * n); }
  chance(p: number): boolean { return this.u32() / 4294967296 < p; }
  pick<T>(xs: readonly T[]): T { return xs[this.int(xs.length)]!; }
  /**
   * A 64-bit unsigned id. Nine in ten are at or above 2^53 (the range JSON.parse
   * rounds), the rest below, so clients exercise both paths.
   */
  u64(): bigint {
    const hi = this.chance(0.9) ? (this.u32() | 0x00200000) >>> 0 : this.u32() & 0x001fffff;
    return (BigInt(hi) << 32n) | BigInt(this.u32());
  }
}

// ---------------------------------------------------------------------------
// Value pools.

interface Device {
  browser: string; browserType: string; operatingSystem: string; userAgent: string;
  mobile: boolean; width: number; height: number;
}

const DEVICES: readonly Device[] = [
  { browser: 'Google Chrome 126.0', browserType: 'Google', operatingSystem: 'Windows 10', mobile: false, width: 1920, height: 1080,
    userAgent: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36' },
  { browser: 'Safari 17.5', browserType: 'Apple', operatingSystem: 'Macintosh', mobile: false, width: 1680, height: 1050,
    userAgent: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15' },
  { browser: 'Mozilla Firefox 127.0', browserType: 'Mozilla', operatingSystem: 'Linux', mobile: false, width: 2560, height: 1440,
    userAgent: 'Mozilla/5.0 (X11; Linux x86_64; rv:127.0) Gecko/20100101 Firefox/127.0' },
  { browser: 'Mobile Safari 17.5', browserType: 'Apple', operatingSystem: 'iOS 17.5', mobile: true, width: 390, height: 844,
    userAgent: 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1' },
  { browser: 'Google Chrome Mobile 126.0', browserType: 'Google', operatingSystem: 'Android 14', mobile: true, width: 412, height: 915,
    userAgent: 'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36' },
  { browser: 'Microsoft Edge 126.0', browserType: 'Microsoft', operatingSystem: 'Windows 11', mobile: false, width: 1366, height: 768,
    userAgent: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36 Edg/126.0.0.0' },
];

interface Geo { geoCity: string; geoCountry: string; geoRegion: string; geoZip: string; geoDMA: number; language: string; languageAbbrev: string; currency: string; domain: string; topLevelDomain: string }

// Non-ASCII city names on purpose: multi-byte UTF-8 in ordinary hits, not only hostile ones.
const GEOS: readonly Geo[] = [
  { geoCity: 'paris', geoCountry: 'fra', geoRegion: 'j', geoZip: '75001', geoDMA: 0, language: 'French', languageAbbrev: 'fr-FR', currency: 'EUR', domain: 'orange.fr', topLevelDomain: '.fr' },
  { geoCity: 'new york', geoCountry: 'usa', geoRegion: 'ny', geoZip: '10001', geoDMA: 501, language: 'English', languageAbbrev: 'en-US', currency: 'USD', domain: 'verizon.net', topLevelDomain: '.net' },
  { geoCity: 'san jose', geoCountry: 'usa', geoRegion: 'ca', geoZip: '95110', geoDMA: 807, language: 'English', languageAbbrev: 'en-US', currency: 'USD', domain: 'comcast.net', topLevelDomain: '.net' },
  { geoCity: 'zürich', geoCountry: 'che', geoRegion: 'zh', geoZip: '8001', geoDMA: 0, language: 'German', languageAbbrev: 'de-CH', currency: 'CHF', domain: 'swisscom.ch', topLevelDomain: '.ch' },
  { geoCity: 'são paulo', geoCountry: 'bra', geoRegion: 'sp', geoZip: '01000-000', geoDMA: 0, language: 'Portuguese', languageAbbrev: 'pt-BR', currency: 'BRL', domain: 'vivo.com.br', topLevelDomain: '.br' },
  { geoCity: '東京', geoCountry: 'jpn', geoRegion: '13', geoZip: '100-0001', geoDMA: 0, language: 'Japanese', languageAbbrev: 'ja-JP', currency: 'JPY', domain: 'ocn.ne.jp', topLevelDomain: '.jp' },
  { geoCity: 'london', geoCountry: 'gbr', geoRegion: 'h9', geoZip: 'EC1A', geoDMA: 0, language: 'English', languageAbbrev: 'en-GB', currency: 'GBP', domain: 'bt.com', topLevelDomain: '.com' },
];

const CARRIERS = ['AT&T', 'Verizon', 'Orange', 'Vodafone', 'T-Mobile', 'Swisscom'] as const;
const CONNECTIONS = ['LAN/WiFi', 'Mobile Carrier', 'Cable'] as const;

interface Product { category: string; name: string; price: number /* cents */; sku: string }
const PRODUCTS: readonly Product[] = [
  { category: 'Shoes', name: 'Mens Black Running Shoes', price: 7999, sku: 'SH-1001' },
  { category: 'Shoes', name: 'Trail Runner GTX', price: 12999, sku: 'SH-1044' },
  { category: 'Clothing', name: 'Merino Base Layer', price: 5999, sku: 'CL-2210' },
  { category: 'Clothing', name: 'Rain Shell Jacket', price: 14900, sku: 'CL-2301' },
  { category: 'Accessories', name: 'Hydration Vest 5L', price: 8950, sku: 'AC-3307' },
  { category: 'Accessories', name: 'Headlamp 400lm', price: 3499, sku: 'AC-3120' },
  { category: 'Electronics', name: 'GPS Watch Pro', price: 39900, sku: 'EL-4002' },
];

const SECTIONS = ['home', 'shoes', 'clothing', 'accessories', 'electronics', 'blog', 'help'] as const;
const CAMPAIGNS = ['DFA:172612:21725632:182361', 'em:summer-sale:2026', 'sem:brand:running shoes', 'social:ig:trail-week'] as const;
const SEARCH_ENGINES = ['Google', 'Bing', 'DuckDuckGo', 'Ecosia'] as const;
const REFERRERS = ['https://www.google.com/', 'https://www.bing.com/search?q=running+shoes', 'https://t.co/abc123', 'https://news.example.org/best-of-2026', ''] as const;
const LINK_NAMES = ['nav:main:shoes', 'footer:help', 'hero:cta:shop-now', 'pdp:size-guide', 'cart:continue'] as const;
const INTERNAL_SEARCH = ['trail shoes', 'rain jacket', 'gps watch', 'größe 44', 'chaussures'] as const;

interface Visitor {
  /** Fields that do not change between the visitor's hits (64-bit ids as BIG markers). */
  fixed: Record<string, Json>;
  /** `fixed` serialized once, without braces, ids already as bare digits. */
  fixedJson: string;
  customVisId: string; device: Device; suite: string; pageNum: number;
}

type Json = string | number | boolean | null | Json[] | { [k: string]: Json };

interface EventValue { count: number; exponent: number; unique: string }
const ev = (count: number, exponent = 0, unique = ''): EventValue[] => [{ count, exponent, unique }];

/**
 * Marker for 64-bit numbers: the object holds the marker plus digits as a string;
 * after JSON.stringify the quoted marker is replaced by the bare digits. A control
 * character is used because JSON.stringify always escapes it, so the escaped
 * form cannot occur in any other generated string.
 */
const BIG = '\u0001';
const BIG_RE = /"\\u0001(\d+)"/g;
const big = (v: bigint): string => BIG + v.toString();

// Odd multiplier: n -> n*STEP mod 2^64 is a bijection, so hitIdLow never repeats.
const STEP = 0x9e3779b97f4a7c15n;

export function createHitGenerator(opts: HitGeneratorOptions = {}): HitGenerator {
  const rng = new Rng(opts.seed ?? 1);
  const hostileEvery = Math.max(0, Math.floor(opts.hostileEvery ?? 25));
  const violationEvery = Math.max(0, Math.floor(opts.violationEvery ?? 17));
  let violationVariant = 0;
  const suites = opts.reportSuites?.length ? opts.reportSuites : ['demoprod', 'demodev', 'demostage'];
  const nVisitors = Math.max(1, Math.floor(opts.visitors ?? 8));
  const hitBase = rng.u64();

  const visitors: Visitor[] = [];
  for (let i = 0; i < nVisitors; i++) {
    // Most traffic on the first suite, like a prod suite next to dev/stage ones.
    const r = rng.u32() % 10;
    const suite = suites[(r < 7 ? 0 : r < 9 ? 1 : 2) % suites.length]!;
    const device = rng.pick(DEVICES);
    const geo = rng.pick(GEOS);
    const customVisId = rng.chance(0.4) ? String(100000 + rng.int(900000)) : '';
    const fixed: Record<string, Json> = {
      bot: '<Not a bot>',
      browser: device.browser,
      browserHeight: device.height - 120,
      browserType: device.browserType,
      browserWidth: device.width,
      carrier: rng.pick(CARRIERS),
      connectionType: rng.pick(CONNECTIONS),
      currency: geo.currency,
      customVisId,
      domain: geo.domain,
      exclude: { id: '0', value: 'no', description: 'include' },
      geoCity: geo.geoCity,
      geoCountry: geo.geoCountry,
      geoDMA: geo.geoDMA,
      geoRegion: geo.geoRegion,
      geoZip: geo.geoZip,
      hitSource: 1,
      ip: `${10 + rng.int(200)}.${rng.int(256)}.${rng.int(256)}.${1 + rng.int(254)}`,
      javaEnabled: !device.mobile,
      language: geo.language,
      languageAbbrev: geo.languageAbbrev,
      mcVisIdHigh: big(rng.u64()),
      mcVisIdLow: big(rng.u64()),
      mobileDevice: device.mobile ? device.operatingSystem.split(' ')[0]! : '',
      monitorColorDepth: '16 million colors',
      monitorHeight: device.height,
      monitorWidth: device.width,
      operatingSystem: device.operatingSystem,
      service: 'ss',
      topLevelDomain: geo.topLevelDomain,
      truncated: false,
      userAgent: device.userAgent,
      usesPersistentCookie: 1,
      visIdHigh: big(rng.u64()),
      visIdLow: big(rng.u64()),
      visIdType: 3,
      visitNumber: 1 + rng.int(20),
    };
    visitors.push({
      fixed, fixedJson: JSON.stringify(fixed).slice(1, -1).replace(BIG_RE, '$1'),
      customVisId, device, suite, pageNum: 0,
    });
  }

  let n = 0;
  let lastVisitor = 0;
  let hostileVariant = 0;

  function next(nowMs: number): string {
    n++;
    const vi = rng.int(nVisitors);
    lastVisitor = vi;
    const v = visitors[vi]!;
    v.pageNum++;
    const nowSec = Math.floor(nowMs / 1000);
    // Hits arrive 2..60 s after they happened, so consecutive records are often out of order.
    const timeGMT = nowSec - 2 - rng.int(59);
    const receivedTimeGMT = Math.max(timeGMT, nowSec - rng.int(3));
    const hitIdLow = BigInt.asUintN(64, hitBase + BigInt(n) * STEP);
    const section = rng.pick(SECTIONS);
    const pageNo = rng.int(10000);
    const suite = rng.chance(0.05) ? rng.pick(suites) : v.suite;

    const roll = rng.int(100);
    const kind = roll < 55 ? 'page' : roll < 75 ? 'link' : roll < 85 ? 'prodView' : roll < 92 ? 'scAdd' : roll < 95 ? 'scCheckout' : 'purchase';

    const evars: Record<string, Json> = { evar1: `${section} promo`, evar2: v.customVisId ? 'logged in' : 'anonymous' };
    if (rng.chance(0.3)) evars.campaign = rng.pick(CAMPAIGNS);
    if (section === 'help' || rng.chance(0.1)) evars.evar7 = rng.pick(INTERNAL_SEARCH);
    const props: Record<string, Json> = { prop1: section, prop2: v.device.mobile ? 'mobile' : 'desktop' };
    if (rng.chance(0.3)) props.site_section = section;
    const events: Record<string, EventValue[]> = {};
    let products: Json[] = [];

    let pageName = `${section}:page ${pageNo}`;
    let pageURL = `https://www.example.com/${section}/page${pageNo}.html`;
    let referrer: string = rng.pick(REFERRERS);
    let pageEventType = 0;
    let link: Record<string, Json> | undefined;
    let transactionId = '';

    if (kind === 'link') {
      const lt = rng.int(3);
      const linkName = rng.pick(LINK_NAMES);
      pageEventType = 100 + lt; // 100 custom, 101 download, 102 exit
      link = {
        linkType: ['o', 'd', 'e'][lt]!,
        linkName,
        linkURL: lt === 1 ? `https://www.example.com/docs/size-guide-${pageNo}.pdf` : lt === 2 ? 'https://partner.example.net/' : pageURL,
      };
      events.event5 = ev(1);
      referrer = pageURL;
    } else if (kind !== 'page') {
      const p = rng.pick(PRODUCTS);
      pageName = `${p.category.toLowerCase()}:${p.name.toLowerCase()}`;
      pageURL = `https://www.example.com/p/${p.sku.toLowerCase()}`;
      if (kind === 'prodView') {
        events.prodView = ev(1);
        products = [product(p, 0, 0, {}, {})];
      } else if (kind === 'scAdd') {
        const units = 1 + rng.int(3);
        events.scAdd = ev(1);
        events.event12 = ev(units); // cart additions in units
        products = [product(p, units, 0, { evar5: 'pdp add-to-cart' }, { event12: ev(units) })];
      } else if (kind === 'scCheckout') {
        pageName = 'checkout:shipping';
        pageURL = 'https://www.example.com/checkout/shipping';
        events.scCheckout = ev(1);
        products = [product(p, 1, 0, {}, {})];
      } else {
        pageName = 'checkout:confirmation';
        pageURL = 'https://www.example.com/checkout/confirmation';
        transactionId = `T${String(1000000 + rng.int(9000000))}`;
        const lines = 1 + rng.int(3);
        let units = 0;
        for (let i = 0; i < lines; i++) {
          const q = PRODUCTS[(PRODUCTS.indexOf(p) + i) % PRODUCTS.length]!;
          const u = 1 + rng.int(3);
          units += u;
          products.push(product(q, u, q.price * u, i === 0 ? { evar5: 'internal search' } : {}, { event61: ev(u) }));
        }
        // Serialized purchase: `unique` carries the purchase id, as Adobe does for event serialization.
        events.purchase = ev(1, 0, transactionId);
        events.event61 = ev(units);
        // A currency-like event with a non-zero exponent: shipping in hundreds (count × 10^2).
        events.event20 = ev(1 + rng.int(9), 2);
        evars.evar10 = transactionId;
      }
    } else if (rng.chance(0.3)) {
      events.event1 = ev(1);
    }

    const hitIdHigh = rng.u64().toString();
    // Only what changes per hit is stringified; the visitor's fixed fields are
    // pre-serialized once (this is what makes 20 000+ hits/s cheap).
    const hit: Record<string, Json> = {
      evars: { evars: evars },
      events: events as unknown as Json,
      hierarchies: { 'site-hier': { delim: 58, values: `home page:${section}:page ${pageNo}` } },
      pageEventType,
      pageName,
      pageURL,
      products,
      props,
      receivedTimeGMT,
      referrer,
      reportSuite: suite,
      searchEngine: referrer.includes('google') ? 'Google' : referrer.includes('bing') ? 'Bing' : rng.chance(0.1) ? rng.pick(SEARCH_ENGINES) : '',
      timeGMT,
      transactionId,
      visitPageNum: v.pageNum,
    };
    if (link) Object.assign(hit, link);
    // Without drawing from the PRNG, so every other field stays what it was before rule violations existed.
    if (violationEvery > 0 && n % violationEvery === 0) addViolation(hit, evars, props, events, violationVariant++);
    if (rng.chance(0.35)) {
      hit.mvvars = {
        '1': { m: { values: [`event_category:${section}`, `event_type:${kind}`, `source_platform:${v.device.operatingSystem}`], delim: 44 } },
      };
      if (rng.chance(0.5)) (hit.mvvars as Record<string, Json>)['2'] = { m: { values: ['ab:hero-b', 'ab:nav-a'], delim: 124 } };
    }
    if (rng.chance(0.15)) {
      const campaignId = String(13000 + rng.int(500));
      const recipeId = String(1 + rng.int(30));
      hit.tnt = [{ campaignId, recipeId, trafficType: '0', actionId: '', actionName: '' }];
      hit.tntAction = [{ campaignId, recipeId, trafficType: '0', actionId: '1', actionName: 'Experience Visit' }];
    }

    const ids = `{"hitIdHigh":${hitIdHigh},"hitIdLow":${hitIdLow.toString()},`;
    if (hostileEvery > 0 && n % hostileEvery === 0) {
      // Hostile hits also replace visitor-level fields, so they take the slow path.
      const full: Record<string, Json> = { ...v.fixed, ...hit };
      makeHostile(full, evars, props, products, hostileVariant++);
      return ids + JSON.stringify(full).slice(1).replace(BIG_RE, '$1');
    }
    return ids + v.fixedJson + ',' + JSON.stringify(hit).slice(1);
  }

  function product(p: Product, units: number, revenue: number, pevars: Record<string, Json>, pevents: Record<string, EventValue[]>): Json {
    return { category: p.category, evars: pevars, events: pevents as unknown as Json, name: p.name, revenue, units };
  }

  return {
    next,
    get lastVisitor() { return lastVisitor; },
    get count() { return n; },
  };
}

/** Values that break the built-in tracking rules (src/analytics/rules/detectors.ts). Exported for tests. */
export const VIOLATIONS = {
  email: 'jane.doe@example.com',
  card: '4111 1111 1111 1111',
  phone: '+41 44 668 18 00',
  longEvar: `long value ${'ü'.repeat(130)}`,
  unknownField: 'experimentalField',
} as const;

function addViolation(hit: Record<string, Json>, evars: Record<string, Json>, props: Record<string, Json>, events: Record<string, EventValue[]>, variant: number): void {
  switch (variant % 6) {
    case 0: props.prop9 = `newsletter signup ${VIOLATIONS.email}`; break;
    case 1: evars.evar8 = `paid with ${VIOLATIONS.card}`; break;
    case 2: props.prop10 = `callback ${VIOLATIONS.phone}`; break;
    case 3: evars.evar6 = VIOLATIONS.longEvar; break;
    case 4: events.event7 = ev(0); break;
    default: hit[VIOLATIONS.unknownField] = 'on'; break;
  }
}

const HOSTILE_PAGE_NAMES = [
  `${HOSTILE.script}`,
  `home ${HOSTILE.img} page`,
  `"><svg onload=alert(1)>`,
  `${HOSTILE.rtl}fdp.exe ${HOSTILE.emoji}`,
] as const;
const HOSTILE_URLS = [
  HOSTILE.jsUrl,
  'JaVaScRiPt:alert(document.cookie)',
  ' javascript:alert(1)//https://www.example.com/',
  'data:text/html,<script>alert(1)</script>',
] as const;

/** Overwrites attacker-controllable fields with hostile text; keys stay Adobe's, plus the fixture's soft-hyphen look-alikes. */
function makeHostile(hit: Record<string, Json>, evars: Record<string, Json>, props: Record<string, Json>, products: Json[], variant: number): void {
  const i = variant % HOSTILE_PAGE_NAMES.length;
  hit.pageName = HOSTILE_PAGE_NAMES[i]!;
  hit.pageURL = HOSTILE_URLS[i]!;
  hit.referrer = `https://evil.example.com/"${HOSTILE.img}`;
  hit.userAgent = `Mozilla/5.0 ${HOSTILE.script} (${HOSTILE.rtl}evil)`;
  if (hit.linkURL !== undefined) hit.linkURL = HOSTILE.jsUrl;
  if (hit.linkName !== undefined) hit.linkName = `</textarea>${HOSTILE.img}`;
  evars.evar3 = `${HOSTILE.rtl}gnp.exe ${HOSTILE.quotes}`;
  evars.evar4 = `${HOSTILE.script}${HOSTILE.emoji}`;
  props.prop5 = `line${HOSTILE.lineSeparator}separator\u2029paragraph \\n not a newline`;
  hit.languageAbbrev = HOSTILE.softHyphenLang;
  (hit.hierarchies as Record<string, Json>)[HOSTILE.softHyphenKey] = { delim: 58, values: `home page:${HOSTILE.script}:x` };
  const name = `Ünïcödé 日本語 ${HOSTILE.emoji}👩‍👩‍👧 <b>${HOSTILE.img}</b>`;
  if (products.length > 0) (products[0] as Record<string, Json>).name = name;
  else products.push({ category: `Cat ${HOSTILE.script}`, evars: { evar5: HOSTILE.jsUrl }, events: {}, name, revenue: 0, units: 0 });
}
