// Calls to the patentnav HTTP API (/v1/...) and its error body
// {"error": {"code", "message", "detail", "request_id"}}.

const KEY_STORAGE = "patentnav.apiKey";

export const API_PREFIX = "/v1";

export class ApiError extends Error {
  constructor(status, error) {
    super(error?.message || `HTTP ${status}`);
    this.name = "ApiError";
    this.status = status;
    this.code = error?.code || "http_error";
    this.detail = error?.detail ?? null;
    this.requestId = error?.request_id || null;
  }
}

export function getApiKey() {
  try {
    return localStorage.getItem(KEY_STORAGE) || "";
  } catch {
    return "";
  }
}

export function setApiKey(value) {
  try {
    if (value) localStorage.setItem(KEY_STORAGE, value);
    else localStorage.removeItem(KEY_STORAGE);
  } catch {
    /* storage disabled: the key lives for this page only */
  }
}

/** Query string from an object; arrays become repeated keys, empty values are left out. */
export function queryString(params) {
  const qs = new URLSearchParams();
  for (const [key, value] of Object.entries(params || {})) {
    if (value === undefined || value === null || value === "") continue;
    if (Array.isArray(value)) {
      for (const v of value) if (v !== undefined && v !== null && v !== "") qs.append(key, v);
    } else {
      qs.append(key, String(value));
    }
  }
  const text = qs.toString();
  return text ? `?${text}` : "";
}

/** URL of an API path (``/search`` -> ``/v1/search``) with query parameters. */
export function apiUrl(path, params) {
  return `${API_PREFIX}${path}${queryString(params)}`;
}

function headers(extra) {
  const out = { Accept: "application/json", ...(extra || {}) };
  const key = getApiKey();
  if (key) out["X-API-Key"] = key;
  return out;
}

/**
 * Fetch JSON from the API. Throws ApiError with the server's error body (or a
 * network_error / bad_response one) on failure.
 */
export async function api(path, { params, method = "GET", body, signal } = {}) {
  const init = { method, headers: headers(), signal };
  if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers["Content-Type"] = "application/json";
  }
  let response;
  try {
    response = await fetch(apiUrl(path, params), init);
  } catch (err) {
    if (err?.name === "AbortError") throw err;
    throw new ApiError(0, { code: "network_error", message: `无法连接服务器：${err?.message || err}` });
  }
  let data = null;
  const text = await response.text();
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = null;
    }
  }
  if (!response.ok) {
    const error = data && typeof data === "object" && data.error ? data.error : {
      code: "http_error",
      message: text ? text.slice(0, 300) : `HTTP ${response.status}`,
    };
    if (!error.request_id) error.request_id = response.headers.get("X-Request-ID");
    throw new ApiError(response.status, error);
  }
  if (data === null) {
    throw new ApiError(response.status, { code: "bad_response", message: "服务器返回的不是 JSON" });
  }
  return data;
}

/** Fetch a JSON document outside /v1 (``/ready``, ``/ui/config.json``); never throws for a status. */
export async function fetchJson(url) {
  try {
    const response = await fetch(url, { headers: headers() });
    const data = await response.json();
    return { ok: response.ok, status: response.status, data };
  } catch (err) {
    return { ok: false, status: 0, data: null, error: String(err?.message || err) };
  }
}

/** Download an export (``format=csv|xlsx``) with the API key header, as a file. */
export async function download(path, params) {
  const response = await fetch(apiUrl(path, params), { headers: headers({ Accept: "*/*" }) });
  if (!response.ok) {
    let error = null;
    try {
      error = (await response.json()).error;
    } catch {
      error = null;
    }
    throw new ApiError(response.status, error || { code: "http_error", message: `HTTP ${response.status}` });
  }
  const disposition = response.headers.get("Content-Disposition") || "";
  const match = /filename\*=UTF-8''([^;]+)/i.exec(disposition) || /filename="?([^";]+)"?/i.exec(disposition);
  const filename = match ? decodeURIComponent(match[1]) : `export.${params?.format || "dat"}`;
  const url = URL.createObjectURL(await response.blob());
  const a = document.createElement("a");
  a.href = url;
  a.download = filename;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
  return filename;
}
