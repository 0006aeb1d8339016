import { randomBytes } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';

export interface PaymentsRequest {
  method: string;
  /** The path with its query, as sent. */
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
  /** Stripe's form-encoded fields, flat as sent: `line_items[0][price_data][unit_amount]` → `'49900'`. */
  form: Record<string, string>;
  /** Razorpay's JSON body. */
  json: unknown;
}

export interface FakePayments {
  /** Point STRIPE_API_BASE and RAZORPAY_API_BASE here; the two APIs' paths do not overlap. */
  url: string;
  requests: PaymentsRequest[];
  /** Answer the next requests with this status and provider-style error body instead. */
  failWith: { status: number } | null;
  close(): Promise<void>;
}

export interface FakePaymentsCredentials {
  stripeSecretKey: string;
  razorpayKeyId: string;
  razorpayKeySecret: string;
}

const suffix = (length: number) => randomBytes(length).toString('base64url').replace(/[-_]/g, 'x').slice(0, length);
const nowSeconds = () => Math.floor(Date.now() / 1000);

/**
 * One node:http server answering the slices of the Stripe API (`POST /v1/checkout/sessions`, `POST /v1/refunds`,
 * form-encoded, Bearer auth) and the Razorpay API (`POST /v1/orders`, `POST /v1/payments/{id}/refund`, JSON,
 * Basic auth) that the payment adapters call, with the JSON those APIs return and their 401 bodies for wrong
 * credentials. Every request is recorded.
 */
export async function startFakePayments(credentials: FakePaymentsCredentials): Promise<FakePayments> {
  const state: Pick<FakePayments, 'requests' | 'failWith'> = { requests: [], failWith: null };

  const json = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify(body));
  };
  const stripeError = (res: ServerResponse, status: number, message: string, type = 'invalid_request_error') =>
    json(res, status, { error: { type, message } }, { 'request-id': `req_${suffix(14)}` });
  const razorpayError = (res: ServerResponse, status: number, description: string, code = 'BAD_REQUEST_ERROR') =>
    json(res, status, { error: { code, description, source: 'NA', step: 'NA', reason: 'NA', metadata: {} } });

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const isForm = (req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded');
      const isJson = (req.headers['content-type'] ?? '').startsWith('application/json');
      const form = isForm ? Object.fromEntries(new URLSearchParams(body)) : {};
      let parsed: unknown = null;
      if (isJson && body) {
        try {
          parsed = JSON.parse(body);
        } catch {}
      }
      state.requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body, form, json: parsed });
      const path = new URL(req.url ?? '/', 'http://fake').pathname;

      if (path === '/v1/checkout/sessions' || path === '/v1/refunds') {
        if (req.headers.authorization !== `Bearer ${credentials.stripeSecretKey}`) {
          return stripeError(res, 401, `Invalid API Key provided: ${maskKey(req.headers.authorization ?? '')}`);
        }
        if (state.failWith) return stripeError(res, state.failWith.status, 'The fake was told to fail.');
        if (req.method !== 'POST') return stripeError(res, 405, 'Method not allowed');
        return path === '/v1/refunds' ? json(res, 200, stripeRefund(form)) : json(res, 200, stripeSession(form));
      }

      const razorpayRefund = /^\/v1\/payments\/([^/]+)\/refund$/.exec(path);
      if (path === '/v1/orders' || razorpayRefund) {
        const basic = `Basic ${Buffer.from(`${credentials.razorpayKeyId}:${credentials.razorpayKeySecret}`).toString('base64')}`;
        if (req.headers.authorization !== basic) return razorpayError(res, 401, 'Authentication failed', 'BAD_REQUEST_ERROR');
        if (state.failWith) return razorpayError(res, state.failWith.status, 'The fake was told to fail.');
        if (req.method !== 'POST') return razorpayError(res, 405, 'The requested URL was not found on the server.');
        const input = (parsed ?? {}) as Record<string, unknown>;
        return razorpayRefund
          ? json(res, 200, razorpayRefundEntity(decodeURIComponent(razorpayRefund[1]!), input))
          : json(res, 200, razorpayOrder(input));
      }
      return json(res, 404, { error: { type: 'invalid_request_error', message: `Unrecognized request URL (${req.method}: ${path}).` } });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return Object.assign(state, {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
}

function maskKey(authorization: string): string {
  const key = authorization.replace(/^Bearer /, '');
  return key.length > 8 ? `${key.slice(0, 8)}****${key.slice(-4)}` : '****';
}

/** A Checkout Session as Stripe returns it from create (the fields a client reads, plus the usual company). */
function stripeSession(form: Record<string, string>) {
  const id = `cs_test_a1${suffix(56)}`;
  let amountTotal = 0;
  for (let i = 0; form[`line_items[${i}][quantity]`] !== undefined; i++) {
    amountTotal += Number(form[`line_items[${i}][price_data][unit_amount]`]) * Number(form[`line_items[${i}][quantity]`]);
  }
  const created = nowSeconds();
  return {
    id,
    object: 'checkout.session',
    amount_subtotal: amountTotal,
    amount_total: amountTotal,
    cancel_url: form.cancel_url ?? null,
    client_reference_id: form.client_reference_id ?? null,
    created,
    currency: form['line_items[0][price_data][currency]'] ?? null,
    customer: null,
    customer_email: form.customer_email ?? null,
    expires_at: Number(form.expires_at ?? created + 86_400),
    livemode: false,
    metadata: metadataFrom(form, 'metadata'),
    mode: form.mode ?? 'payment',
    payment_intent: null,
    payment_status: 'unpaid',
    status: 'open',
    success_url: form.success_url ?? null,
    url: `https://checkout.stripe.com/c/pay/${id}#fidkdWxOYHwnPyd1blpxYHZxWjA0`,
  };
}

function stripeRefund(form: Record<string, string>) {
  return {
    id: `re_3${suffix(23)}`,
    object: 'refund',
    amount: Number(form.amount ?? 49_900),
    balance_transaction: `txn_3${suffix(23)}`,
    charge: `ch_3${suffix(23)}`,
    created: nowSeconds(),
    currency: 'usd',
    metadata: metadataFrom(form, 'metadata'),
    payment_intent: form.payment_intent ?? null,
    reason: null,
    status: 'succeeded',
  };
}

function metadataFrom(form: Record<string, string>, prefix: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(form)) {
    const match = new RegExp(`^${prefix}\\[([^\\]]+)\\]$`).exec(key);
    if (match) out[match[1]!] = value;
  }
  return out;
}

function razorpayOrder(input: Record<string, unknown>) {
  return {
    id: `order_${suffix(14)}`,
    entity: 'order',
    amount: input.amount,
    amount_paid: 0,
    amount_due: input.amount,
    currency: input.currency ?? 'INR',
    receipt: input.receipt ?? null,
    offer_id: null,
    status: 'created',
    attempts: 0,
    notes: input.notes ?? [],
    created_at: nowSeconds(),
  };
}

function razorpayRefundEntity(paymentId: string, input: Record<string, unknown>) {
  return {
    id: `rfnd_${suffix(14)}`,
    entity: 'refund',
    amount: input.amount ?? 49_900,
    currency: 'INR',
    payment_id: paymentId,
    notes: input.notes ?? [],
    receipt: null,
    acquirer_data: { arn: null },
    created_at: nowSeconds(),
    batch_id: null,
    status: 'processed',
    speed_processed: 'normal',
    speed_requested: 'normal',
  };
}
