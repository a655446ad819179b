/*
 * The registry's dashboard (docs/registry.md#get--the-dashboard).
 *
 * The instances come from GET events (Server-Sent Events): a snapshot of
 * every instance first, then one event per change. Each instance keeps its
 * row, changed in place; nothing is rendered again whole, so a thousand
 * instances cost what the rows that change cost, and the countdowns tick
 * only in the rows on screen. Renewals are no events (they move no index),
 * so the expiry times are refreshed from each shown service's listing. The
 * registry's own health comes from GET health and GET metrics.
 *
 * Everything a token brings (names, addresses, hostnames, metadata,
 * reasons) is set as text (textContent, title, dataset) and never parsed
 * as HTML: a token's hostname may well be "<script>".
 */
'use strict';

(function () {
	const POLL_MS = 2000; // health, metrics and listings
	const TICK_MS = 250; // countdowns
	const TIMELINE_MAX = 200; // events kept in the timeline
	const RETRY_MS = 2000; // a new stream after one refused for good
	const FETCH_TIMEOUT_MS = 5000;
	// The Date header has a resolution of a second: a smaller difference
	// between the clocks is left alone, correcting it would be worse.
	const SKEW_MIN_MS = 2000;
	const COLUMNS = [
		{ key: 'instance', title: 'instance' },
		{ key: 'address', title: 'address' },
		{ key: 'port', title: 'port', num: true },
		{ key: 'state', title: 'state' },
		{ key: 'hostname', title: 'hostname' },
		{ key: 'metadata', title: 'metadata' },
		{ key: 'age', title: 'age', num: true },
		{ key: 'expires', title: 'expires in', num: true },
	];

	const $ = (id) => document.getElementById(id);
	const services = new Map(); // name -> service, see serviceOf
	const serviceNames = []; // sorted: the order of the sections
	const hayOf = new WeakMap(); // timeline li -> its text, for the filter
	const inView = new Set(); // rows on screen: the only ones that tick
	let terms = []; // the filter's words, lower case
	let skew = 0; // the registry's clock minus ours, ms
	let shownIndex = 0n;
	let conn = 'connecting';
	let lastRates = null;

	function now() {
		return Date.now() + skew;
	}

	function el(tag, cls, text) {
		const e = document.createElement(tag);
		if (cls)
			e.className = cls;
		if (text !== undefined)
			e.textContent = text;
		return e;
	}

	function setText(node, text) {
		if (node.textContent !== text)
			node.textContent = text;
	}

	// The first position in the sorted array a whose element is not below key.
	function lowerBound(a, key) {
		let lo = 0;
		let hi = a.length;
		while (lo < hi) {
			const mid = (lo + hi) >>> 1;
			if (a[mid] < key)
				lo = mid + 1;
			else
				hi = mid;
		}
		return lo;
	}

	function matches(hay) {
		return terms.every((t) => hay.includes(t));
	}

	function ageText(ms) {
		const s = Math.max(0, Math.floor(ms / 1000));
		if (s < 60)
			return s + ' s';
		if (s < 3600)
			return Math.floor(s / 60) + ' m ' + (s % 60) + ' s';
		if (s < 86400)
			return Math.floor(s / 3600) + ' h ' + Math.floor((s % 3600) / 60) + ' m';
		return Math.floor(s / 86400) + ' d ' + Math.floor((s % 86400) / 3600) + ' h';
	}

	function clock() {
		return new Date().toTimeString().slice(0, 8);
	}

	// ---- services and their rows ----

	// A service's instances are rows of a grid, not a <table>: a table lays
	// out every row again when one cell changes, and a row of ours is a
	// box of fixed height under strict containment (style.css), so a
	// countdown that ticks lays out and paints that row only.
	function serviceOf(name) {
		let s = services.get(name);
		if (s)
			return s;
		const section = el('section', 'service');
		const h = el('h2');
		const count = el('span', 'count');
		const table = el('div', 'table');
		const head = el('div', 'row head');
		const body = el('div', 'body');
		section.dataset.service = name;
		h.append(el('span', 'name', name), count);
		table.setAttribute('role', 'table');
		head.setAttribute('role', 'row');
		body.setAttribute('role', 'rowgroup');
		for (const c of COLUMNS) {
			const th = el('span', c.num ? 'num' : '', c.title);
			th.setAttribute('role', 'columnheader');
			head.append(th);
		}
		table.append(head, body);
		section.append(h, table);
		s = { name, section, count, body, ids: [], rows: new Map(), up: 0, shown: 0 };
		const i = lowerBound(serviceNames, name);
		const next = i < serviceNames.length ? services.get(serviceNames[i]).section : null;
		$('services').insertBefore(section, next);
		serviceNames.splice(i, 0, name);
		services.set(name, s);
		$('empty').hidden = true;
		return s;
	}

	function showService(s) {
		setText(s.count, s.rows.size + (s.rows.size === 1 ? ' instance, ' : ' instances, ') +
			s.up + ' up');
		s.section.hidden = s.shown === 0;
	}

	function filterRow(s, row) {
		const hide = !matches(row.hay);
		if (hide !== row.tr.hidden) {
			row.tr.hidden = hide;
			s.shown += hide ? -1 : 1;
		}
	}

	function newRow(s, id) {
		const tr = el('div', 'row');
		const cells = {};
		tr.setAttribute('role', 'row');
		for (const c of COLUMNS) {
			cells[c.key] = el('span', c.num ? 'num' : '');
			cells[c.key].setAttribute('role', 'cell');
			tr.append(cells[c.key]);
		}
		cells.state.className = 'state';
		tr.dataset.instance = id;
		const row = { tr, cells, data: null, hay: '' };
		const i = lowerBound(s.ids, id);
		const next = i < s.ids.length ? s.rows.get(s.ids[i]).tr : null;
		s.body.insertBefore(tr, next);
		s.ids.splice(i, 0, id);
		s.rows.set(id, row);
		s.shown++; // shown until the filter says otherwise
		// Rows are content-visibility: auto (style.css): the browser
		// says when one comes on screen or leaves it, for free.
		tr.addEventListener('contentvisibilityautostatechange', (e) => {
			if (e.skipped) {
				inView.delete(row);
			} else if (row.data) {
				inView.add(row);
				tickRow(row, now());
			}
		});
		return row;
	}

	function fill(s, row, inst) {
		const c = row.cells;
		const meta = Object.entries(inst.metadata || {})
			.map(([k, v]) => k + '=' + v)
			.join(' ');
		setText(c.instance, String(inst.instanceId));
		c.instance.title = inst.healthUrl ? 'health: ' + inst.healthUrl : '';
		setText(c.address, String(inst.address));
		setText(c.port, inst.port == null ? '' : String(inst.port));
		setText(c.state, String(inst.state));
		c.state.dataset.state = inst.state;
		setText(c.hostname, inst.hostname == null ? '' : String(inst.hostname));
		c.hostname.title = c.hostname.textContent;
		setText(c.metadata, meta);
		c.metadata.title = meta;
		row.hay = [s.name, inst.instanceId, inst.address, inst.port, inst.state,
			inst.hostname, meta].join('\n').toLowerCase();
	}

	function tickRow(row, t) {
		const d = row.data;
		const left = d.expiresAt - t;
		const cell = row.cells.expires;
		setText(row.cells.age, ageText(t - d.firstSeen));
		// Overdue happens while the registry holds everything (stale).
		setText(cell, left >= 0 ? (left / 1000).toFixed(1) + ' s' : 'overdue');
		cell.classList.toggle('soon', left >= 0 && left < 2000);
		cell.classList.toggle('late', left < 0);
	}

	function upsert(inst, flash) {
		const s = serviceOf(inst.service);
		let row = s.rows.get(inst.instanceId);
		if (row) {
			if (row.data.state === 'UP')
				s.up--;
		} else {
			row = newRow(s, inst.instanceId);
		}
		if (inst.state === 'UP')
			s.up++;
		row.data = inst;
		fill(s, row, inst);
		filterRow(s, row);
		tickRow(row, now());
		showService(s);
		if (flash && !row.tr.hidden)
			row.tr.animate([{ backgroundColor: '#e6f4ec' }, { backgroundColor: 'transparent' }],
				{ duration: 1500, easing: 'ease-out' });
	}

	function remove(name, id) {
		const s = services.get(name);
		const row = s && s.rows.get(id);
		if (!row)
			return;
		inView.delete(row);
		row.tr.remove();
		s.rows.delete(id);
		s.ids.splice(lowerBound(s.ids, id), 1);
		if (row.data.state === 'UP')
			s.up--;
		if (!row.tr.hidden)
			s.shown--;
		if (s.rows.size > 0) {
			showService(s);
			return;
		}
		s.section.remove();
		services.delete(name);
		serviceNames.splice(lowerBound(serviceNames, name), 1);
		$('empty').hidden = services.size > 0;
	}

	// A snapshot replaces everything: what it lacks has gone meanwhile.
	function snapshotEnd(seen, n) {
		for (const s of Array.from(services.values())) {
			const ids = seen.get(s.name);
			for (const id of s.ids.slice())
				if (!ids || !ids.has(id))
					remove(s.name, id);
		}
		note('info', 'snapshot: ' + n + ' instances');
	}

	// ---- applying events: queued, in slices ----

	// Events are applied in slices of at most SLICE_MS, so that a burst
	// (a thousand joins, or a snapshot of them) never holds the page for
	// longer; a burst's rows do not flash, and of its events only the
	// last TIMELINE_MAX get a line, the others would be pushed out at once.
	const SLICE_MS = 25;
	const BURST = 20;
	const queue = [];
	let head = 0;
	let flushing = false;

	function enqueue(item) {
		queue.push(item);
		if (!flushing) {
			flushing = true;
			setTimeout(flush, 0);
		}
	}

	function apply(item, burst, noted) {
		switch (item.kind) {
		case 'snapshot-instance':
			upsert(item.data, false);
			return;
		case 'snapshot-end':
			snapshotEnd(item.seen, item.n);
			return;
		case 'join':
		case 'update':
			upsert(item.data, !burst);
			break;
		default: // leave, expire
			remove(item.data.service, item.data.instanceId);
		}
		if (noted)
			noteInstance(item.kind, item.data);
	}

	function flush() {
		const start = performance.now();
		while (head < queue.length && performance.now() - start < SLICE_MS) {
			const left = queue.length - head;
			apply(queue[head++], left > BURST, left <= TIMELINE_MAX);
		}
		if (head < queue.length) {
			setTimeout(flush, 0);
			return;
		}
		queue.length = 0;
		head = 0;
		flushing = false;
	}

	function enqueueSnapshot(snap) {
		const seen = new Map();
		for (const inst of snap.instances) {
			if (!seen.has(inst.service))
				seen.set(inst.service, new Set());
			seen.get(inst.service).add(inst.instanceId);
			enqueue({ kind: 'snapshot-instance', data: inst });
		}
		enqueue({ kind: 'snapshot-end', seen, n: snap.instances.length });
	}

	// ---- the timeline ----

	function note(kind, what, reason) {
		const list = $('timeline');
		const li = el('li');
		const text = el('span', 'what', what);
		const k = el('span', 'kind', kind);
		k.dataset.kind = kind;
		if (reason)
			text.append(' ', el('span', 'reason', '(' + reason + ')'));
		li.append(el('span', 'time', clock()), k, text);
		li.title = text.textContent;
		hayOf.set(li, (kind + '\n' + text.textContent).toLowerCase());
		li.hidden = !matches(hayOf.get(li));
		list.prepend(li);
		while (list.childElementCount > TIMELINE_MAX)
			list.lastElementChild.remove();
	}

	function noteInstance(kind, inst) {
		const where = inst.port == null ? inst.address : inst.address + ':' + inst.port;
		const id = String(inst.instanceId);
		note(kind, inst.service + ' ' + id + (id === where ? '' : ' ' + where),
			inst.reason == null ? '' : String(inst.reason));
	}

	// ---- the filter ----

	function applyFilter() {
		terms = $('filter').value.toLowerCase().split(/\s+/).filter((t) => t);
		for (const s of services.values()) {
			for (const row of s.rows.values())
				filterRow(s, row);
			showService(s);
		}
		for (const li of $('timeline').children)
			li.hidden = !matches(hayOf.get(li));
	}

	// ---- the event stream ----

	function setConn(state) {
		if (state === conn)
			return;
		if (state === 'reconnecting' && conn === 'live')
			note('info', 'event stream lost: reconnecting');
		else if (state === 'live' && conn === 'reconnecting')
			note('info', 'event stream back');
		conn = state;
		const badge = $('conn');
		badge.dataset.conn = state;
		badge.textContent = state === 'live' ? 'live' : state + '…';
		document.body.classList.toggle('offline', state !== 'live');
	}

	function showIndex(id) {
		try {
			const n = BigInt(id);
			if (n > shownIndex) {
				shownIndex = n;
				setText($('h-index'), String(n));
			}
		} catch (e) {
			// Not an integer: nothing to show.
		}
	}

	function on(es, kind, handle) {
		es.addEventListener(kind, (e) => {
			let data;
			try {
				data = JSON.parse(e.data);
			} catch (err) {
				return; // not ours to fix; the next snapshot is whole
			}
			if (e.lastEventId)
				showIndex(e.lastEventId);
			handle(data);
		});
	}

	function connect() {
		const es = new EventSource('events');
		es.onopen = () => setConn('live');
		// EventSource retries by itself after a lost connection (the
		// registry's retry: is 2 s) and sends Last-Event-ID, so a
		// restarted registry answers with a snapshot. An answer that is
		// not a stream (a 503 past the cap) ends it for good: start anew.
		es.onerror = () => {
			setConn('reconnecting');
			if (es.readyState === EventSource.CLOSED) {
				es.close();
				setTimeout(connect, RETRY_MS);
			}
		};
		on(es, 'snapshot', enqueueSnapshot);
		for (const kind of ['join', 'update', 'leave', 'expire'])
			on(es, kind, (inst) => enqueue({ kind, data: inst }));
	}

	// ---- polls: health, metrics, listings ----

	async function get(path) {
		const sent = Date.now();
		const r = await fetch(path, {
			cache: 'no-store',
			signal: AbortSignal.timeout(FETCH_TIMEOUT_MS),
		});
		const date = Date.parse(r.headers.get('Date') || '');
		if (!Number.isNaN(date)) {
			// The header is truncated to the second: +500 is its middle.
			const off = date + 500 - (sent + Date.now()) / 2;
			skew = Math.abs(off) > SKEW_MIN_MS ? off : 0;
		}
		if (!r.ok)
			throw new Error(path + ': ' + r.status);
		return r;
	}

	function level(node, text, lvl) {
		setText(node, text);
		node.dataset.level = lvl;
	}

	function showHealth(h) {
		const amqp = String(h.amqp);
		level($('h-amqp'), amqp, amqp === 'connected' ? 'ok' : amqp === 'blocked' ? 'warn' : 'bad');
		level($('h-stale'), h.stale ? 'yes' : 'no', h.stale ? 'bad' : 'ok');
		setText($('h-services'), String(h.services));
		setText($('h-instances'), String(h.instances));
		if (h.index != null)
			showIndex(h.index);
		const banner = $('h-reason');
		banner.hidden = !h.stale;
		setText(banner, h.stale ? 'Stale: ' + (h.reason || 'the feed is down') : '');
	}

	// Prometheus text: "name{labels} value" lines, comments skipped.
	function parseMetrics(text) {
		const m = new Map();
		for (const line of text.split('\n')) {
			if (!line || line[0] === '#')
				continue;
			const sp = line.lastIndexOf(' ');
			m.set(line.slice(0, sp), Number(line.slice(sp + 1)));
		}
		return m;
	}

	function showRates(text) {
		const m = parseMetrics(text);
		const cur = { t: performance.now(), received: m.get('registry_tokens_received_total'),
			rejected: new Map() };
		const prefix = 'registry_tokens_rejected_total{reason="';
		for (const [k, v] of m)
			if (k.startsWith(prefix))
				cur.rejected.set(k.slice(prefix.length, -2), v);
		const prev = lastRates;
		lastRates = cur;
		// A counter that went back belongs to a restarted registry.
		if (!prev || cur.received === undefined || cur.received < prev.received)
			return;
		const dt = (cur.t - prev.t) / 1000;
		const list = $('h-reasons');
		let total = 0;
		list.replaceChildren();
		for (const [reason, v] of cur.rejected) {
			const rate = (v - (prev.rejected.get(reason) || 0)) / dt;
			if (rate <= 0)
				continue;
			total += rate;
			list.append(el('li', '', reason + ' ' + rate.toFixed(1)));
		}
		setText($('h-tokens'), ((cur.received - prev.received) / dt).toFixed(1));
		level($('h-rejected'), total.toFixed(1), total > 0 ? 'bad' : 'ok');
	}

	async function pollHealth() {
		try {
			const [h, metrics] = await Promise.all([
				get('health').then((r) => r.json()),
				get('metrics').then((r) => r.text()),
			]);
			showHealth(h);
			showRates(metrics);
		} catch (e) {
			level($('h-amqp'), 'unreachable', 'bad');
			level($('h-stale'), '–', '');
			lastRates = null;
		}
		setTimeout(pollHealth, POLL_MS);
	}

	// Renewals move lastSeen and expiresAt without an event: take them
	// from the listings of the services someone can see.
	async function pollListings() {
		for (const s of Array.from(services.values())) {
			if (s.shown === 0)
				continue;
			let body;
			try {
				body = await (await get('services/' + encodeURIComponent(s.name))).json();
			} catch (e) {
				break; // the registry is away; the stream says so
			}
			for (const inst of body.instances) {
				const row = s.rows.get(inst.instanceId);
				if (!row || inst.lastSeen < row.data.lastSeen)
					continue; // gone, or older than an event already shown
				row.data.lastSeen = inst.lastSeen;
				row.data.expiresAt = inst.expiresAt;
				row.data.ttl = inst.ttl;
				row.data.seq = inst.seq;
			}
		}
		setTimeout(pollListings, POLL_MS);
	}

	let filterTimer = 0;
	$('filter').addEventListener('input', () => {
		clearTimeout(filterTimer);
		filterTimer = setTimeout(applyFilter, 120);
	});
	setInterval(() => {
		const t = now();
		for (const row of inView)
			tickRow(row, t);
	}, TICK_MS);
	document.body.classList.add('offline');
	connect();
	pollHealth();
	pollListings();
})();
