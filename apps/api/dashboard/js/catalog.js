/**
 * Names for the ids in progress objects: datasets, models and prompts, every page of
 * each, revalidated with ETags. A job that names an id the catalog does not know yet
 * (launched after the page loaded) triggers a reload, at most one every two seconds.
 */

const REFRESH_GAP_MS = 2_000;

export class Catalog {
  datasets = new Map();
  models = new Map();
  prompts = new Map();
  #api;
  #listeners = new Set();
  #loading = null;
  #first = null;
  #refreshTimer = 0;
  #lastLoad = 0;

  constructor(api) {
    this.#api = api;
  }

  subscribe(listener) {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  load() {
    this.#loading ??= this.#read().finally(() => {
      this.#loading = null;
      this.#lastLoad = Date.now();
    });
    this.#first ??= this.#loading.catch(() => undefined);
    return this.#loading;
  }

  /** Settles once the names have been read (or failed to be) the first time. */
  ready() {
    if (this.#first === null) this.load().catch(() => undefined);
    return this.#first;
  }

  /** Reloads soon when the job names something not known yet. */
  noteJob(job) {
    if (
      this.datasets.has(job.dataset_id) &&
      this.models.has(job.model_id) &&
      this.prompts.has(job.prompt_id)
    ) {
      return;
    }
    if (this.#refreshTimer !== 0) return;
    const wait = Math.max(0, this.#lastLoad + REFRESH_GAP_MS - Date.now());
    this.#refreshTimer = setTimeout(() => {
      this.#refreshTimer = 0;
      this.load().catch(() => undefined);
    }, wait);
  }

  datasetName(id) {
    return this.datasets.get(id)?.name ?? `dataset #${id}`;
  }

  modelName(id) {
    return this.models.get(id)?.name ?? `model #${id}`;
  }

  promptText(id) {
    return this.prompts.get(id)?.text ?? '';
  }

  /** `name@version` for a versioned prompt, `prompt #id` for a bare template. */
  promptLabel(id) {
    const prompt = this.prompts.get(id);
    return prompt?.name ? `${prompt.name}@${prompt.version}` : `prompt #${id}`;
  }

  /** A candidate (model × prompt) as people name it: "gpt-4o × classify@2". */
  candidateName(candidate) {
    return `${this.modelName(candidate.model_id)} × ${this.promptLabel(candidate.prompt_id)}`;
  }

  async #read() {
    const read = (path) => this.#api.getAllPages(path, { revalidate: true });
    const [datasets, models, prompts] = await Promise.all([
      read('/v1/datasets?limit=1000'),
      read('/v1/models?limit=1000'),
      read('/v1/prompts?limit=1000'),
    ]);
    if (!datasets.changed && !models.changed && !prompts.changed && this.datasets.size > 0) return;
    this.datasets = new Map(datasets.items.map((d) => [d.dataset_id, d]));
    this.models = new Map(models.items.map((m) => [m.model_id, m]));
    this.prompts = new Map(prompts.items.map((p) => [p.prompt_id, p]));
    for (const listener of this.#listeners) listener();
  }
}
