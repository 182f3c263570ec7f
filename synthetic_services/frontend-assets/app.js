// The Recoloca page's monitoring, after the seed's MetricsCollector (src/monitoring/metrics.ts) and Logger
// (src/logging/logger.ts): metrics batched to POST /api/metrics, log entries to POST /api/logs, both flushed
// on a timer, when the batch is full and (by sendBeacon) when the page is hidden or left. Core Web Vitals come
// from the web-vitals package (window.webVitals, its IIFE build from npm); FID from the first-input entry.
// Every API call carries a W3C traceparent, X-Correlation-ID and X-User-ID. window.obsdrill is what the
// harness's browser driver reads: calls in flight, the calls made, the trace id of each.
(function () {
  'use strict';
  var cfg = window.OBSDRILL_CONFIG || {};
  var state = window.obsdrill = { pending: 0, calls: [], actions: {}, ready: false };

  function hex(bytes) {
    var a = new Uint8Array(bytes);
    crypto.getRandomValues(a);
    return Array.prototype.map.call(a, function (b) { return b.toString(16).padStart(2, '0'); }).join('');
  }
  function stored(storage, key, make) {
    var value = storage.getItem(key);
    if (!value) { value = make(); storage.setItem(key, value); }
    return value;
  }
  var sessionId = stored(sessionStorage, 'session_id', function () { return crypto.randomUUID(); });
  var userId = stored(localStorage, 'user_id', function () { return 'web-' + hex(6); });
  var currentRequestId = null;

  // Error tracking through @sentry/browser (window.Sentry, bundled from npm when the image is built): where
  // it reports is the deployment's setting (window.OBSDRILL_SENTRY: {dsn, environment}), which the harness's
  // browser driver provides. Its handlers report every uncaught error with the page's URL and stack.
  var sentry = window.OBSDRILL_SENTRY || null;
  if (window.Sentry && sentry && sentry.dsn) {
    window.Sentry.init({ dsn: sentry.dsn, environment: sentry.environment, release: 'frontend@' + (cfg.version || '1.0.0'),
                         sendDefaultPii: false });
    window.Sentry.setTag('service', 'frontend');
    window.Sentry.setTag('session_id', sessionId);
    window.Sentry.setUser({ id: userId });
  }

  function Batcher(endpoint, key, size, flushMs) {
    this.endpoint = endpoint; this.key = key; this.size = size; this.items = [];
    var self = this;
    setInterval(function () { self.flush(false); }, Math.max(flushMs || 1000, 200));
  }
  Batcher.prototype.push = function (item) {
    this.items.push(item);
    if (this.items.length >= this.size) { this.flush(false); }
  };
  Batcher.prototype.flush = function (leaving) {
    if (this.items.length === 0) { return; }
    var batch = this.items; this.items = [];
    var body = {}; body[this.key] = batch;
    var text = JSON.stringify(body);
    if (leaving && navigator.sendBeacon) {
      navigator.sendBeacon(this.endpoint, new Blob([text], { type: 'application/json' }));
      return;
    }
    var self = this;
    fetch(this.endpoint, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: text,
                           keepalive: true })
      .catch(function () { self.items = batch.concat(self.items); });  // kept for the next flush
  };

  var metrics = new Batcher('/api/metrics', 'metrics', cfg.batchSize || 10, cfg.metricsFlushMs || 30000);
  var logs = new Batcher('/api/logs', 'logs', cfg.maxLogBuffer || 50, cfg.logsFlushMs || 10000);

  function recordMetric(name, value, labels) {
    metrics.push({ name: name, value: value, labels: labels || {}, timestamp: Date.now() });
  }
  function log(level, message, context, error) {
    logs.push({
      timestamp: new Date().toISOString(), level: level, message: message, service: 'recoloca-frontend',
      version: cfg.version || '1.0.0', context: context || {}, user_id: userId, session_id: sessionId,
      request_id: currentRequestId || undefined,
      error: error ? { name: error.name, message: error.message, stack: error.stack } : undefined
    });
  }
  function trackError(error, component) {
    recordMetric('frontend_errors_total', 1, { error_type: (error && error.name) || 'Error', component: component });
    log('error', 'uncaught ' + ((error && error.name) || 'error') + ': ' + ((error && error.message) || ''),
        { event: 'frontend_error', component: component, page: location.pathname }, error);
  }

  window.addEventListener('error', function (event) {
    trackError(event.error || new Error(event.message), 'global');
  });
  window.addEventListener('unhandledrejection', function (event) {
    var reason = event.reason instanceof Error ? event.reason : new Error(String(event.reason));
    trackError(reason, 'promise');
  });

  // navigation timing, once the load event has finished
  window.addEventListener('load', function () {
    setTimeout(function () {
      var nav = performance.getEntriesByType('navigation')[0];
      if (!nav) { return; }
      recordMetric('page_load_time_ms', nav.loadEventEnd - nav.fetchStart);
      recordMetric('dom_content_loaded_ms', nav.domContentLoadedEventEnd - nav.fetchStart);
    }, 0);
  });
  if ('PerformanceObserver' in window) {
    try {
      new PerformanceObserver(function (list) {
        list.getEntries().forEach(function (entry) {
          recordMetric('first_input_delay_ms', entry.processingStart - entry.startTime);
        });
      }).observe({ type: 'first-input', buffered: true });
    } catch (e) { /* first-input not supported */ }
  }
  var vitals = window.webVitals;
  if (vitals) {
    vitals.onLCP(function (m) { recordMetric('largest_contentful_paint_ms', m.value); });
    vitals.onCLS(function (m) { recordMetric('cumulative_layout_shift', m.value); });
    vitals.onINP(function (m) { recordMetric('interaction_to_next_paint_ms', m.value); });
    vitals.onFCP(function (m) { recordMetric('first_contentful_paint_ms', m.value); });
    vitals.onTTFB(function (m) { recordMetric('time_to_first_byte_ms', m.value); });
  } else {
    log('warn', 'web-vitals not loaded: no Core Web Vitals from this page', { event: 'vitals_missing' });
  }

  function flushAll(leaving) { metrics.flush(leaving); logs.flush(leaving); }
  document.addEventListener('visibilitychange', function () {
    if (document.visibilityState === 'hidden') { flushAll(true); }
  });
  window.addEventListener('pagehide', function () { flushAll(true); });
  state.flush = function () { flushAll(false); };

  // Client analytics (GA4's Measurement Protocol and Mixpanel's /track), sent from the browser by sendBeacon;
  // where they go is the deployment's setting (window.OBSDRILL_ANALYTICS: {ga4, mixpanel, token}), which the
  // harness's browser driver provides. One event per successful call of a route in the tracking plan.
  var analytics = window.OBSDRILL_ANALYTICS || null;
  function trackEvent(path, params) {
    var names = (cfg.analyticsEvents || {})[path];
    if (!analytics || !names || !navigator.sendBeacon) { return; }
    var ga4 = { client_id: sessionId, user_id: userId, events: [{ name: names[0], params: params }] };
    navigator.sendBeacon(analytics.ga4, new Blob([JSON.stringify(ga4)], { type: 'text/plain' }));
    var props = Object.assign({ token: analytics.token, distinct_id: userId, time: Date.now(),
                                $insert_id: hex(8) }, params);
    var data = btoa(JSON.stringify({ event: names[1], properties: props }));
    navigator.sendBeacon(analytics.mixpanel, new Blob(['data=' + encodeURIComponent(data)],
                                                      { type: 'application/x-www-form-urlencoded' }));
  }

  function api(method, path, body) {
    var traceId = hex(16), requestId = crypto.randomUUID(), started = performance.now();
    var record = { method: method, path: path, trace_id: traceId, request_id: requestId, status: 0 };
    state.pending += 1;
    currentRequestId = requestId;
    return fetch(path, {
      method: method, body: body === undefined ? undefined : JSON.stringify(body),
      headers: { 'Content-Type': 'application/json', 'traceparent': '00-' + traceId + '-' + hex(8) + '-01',
                 'X-Correlation-ID': requestId, 'X-User-ID': userId }
    }).then(function (response) {
      record.status = response.status;
      return response.json().catch(function () { return {}; });
    }, function () { return {}; }).then(function (data) {
      var duration = performance.now() - started;
      record.at = Date.now() / 1000;
      recordMetric('api_calls_total', 1, { endpoint: path, method: method, status: String(record.status) });
      recordMetric('api_call_duration_ms', duration, { endpoint: path, method: method });
      log(record.status >= 500 || record.status === 0 ? 'error' : 'info', 'API call ' + method + ' ' + path,
          { event: 'api_call', endpoint: path, method: method, status: record.status,
            duration_ms: Math.round(duration), trace_id: traceId });
      if (record.status >= 200 && record.status < 300) {
        trackEvent(path, { page: location.pathname, request_id: requestId });
      }
      state.calls.push(record);
      state.pending -= 1;
      if (currentRequestId === requestId) { currentRequestId = null; }
      return data;
    });
  }

  function renderJobs(data) {
    var main = document.getElementById('jobs');
    var jobs = (data && data.jobs) || [];
    main.innerHTML = jobs.map(function (job) {
      return '<p>' + job.title + ': a position that matches your CV, with an AI-written cover letter ready ' +
             'to go, and an analysis of how your experience fits what the employer asks for.</p>';
    }).join('') || '<p>No jobs right now.</p>';
    document.getElementById('status').textContent = jobs.length + ' jobs';
    state.ready = true;
    document.body.setAttribute('data-ready', '1');
  }

  var ACTIONS = {
    register: function () { return api('POST', '/api/auth/register', { source: 'web', plan_type: 'free' }); },
    analyze: function () { return api('POST', '/api/cv/analyze', { user_type: 'free' }); },
    generate: function () { return api('POST', '/api/ai/generate', { model: 'gpt-4', prompt: 'cover letter' }); },
    subscribe: function () { return api('POST', '/api/subscriptions', { plan_type: 'premium' }); }
  };
  var fault = (cfg.faults || {}).js_errors;

  Object.keys(ACTIONS).forEach(function (action) {
    document.getElementById(action).addEventListener('click', function () {
      state.actions[action] = (state.actions[action] || 0) + 1;
      recordMetric('user_actions_total', 1, { action: action, component: 'nav', user_id: userId });
      if (fault && fault.action === action && Math.random() < fault.rate) {
        var broken = null;  // obsdrill's js_errors fault: the handler's code is broken on this click
        return broken.submit();  // a real TypeError, reported through window 'error'
      }
      ACTIONS[action]();
    });
  });

  recordMetric('page_views_total', 1, { page: location.pathname, user_id: userId });
  log('info', 'page view ' + location.pathname, { event: 'page_view', page: location.pathname });
  api('GET', '/api/jobs').then(renderJobs);
})();
