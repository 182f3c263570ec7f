// The entry esbuild bundles into /static/vendor/sentry.iife.js when the services image is built
// (stack/images/scripts/frontend-assets.sh): @sentry/browser from npm, exposed as window.Sentry for app.js.
import * as Sentry from "@sentry/browser";
window.Sentry = Sentry;
