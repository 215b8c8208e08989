-- The tables of the product's original database documentation (docs/data-model.md),
-- exactly as documented: names, types, nullability, defaults, keys and foreign keys.
-- Later migrations only ADD to them; nothing here is renamed, retyped or dropped.

CREATE TABLE datasets (
    dataset_id  serial PRIMARY KEY,
    name        varchar NOT NULL,
    description text
);

CREATE TABLE models (
    model_id    serial PRIMARY KEY,
    name        varchar NOT NULL,
    source      varchar NOT NULL,
    description text,
    library     varchar NOT NULL DEFAULT 'unknown'
);

CREATE TABLE prompts (
    prompt_id serial PRIMARY KEY,
    model_id  integer REFERENCES models (model_id),
    text      text NOT NULL
);

CREATE TABLE rows (
    row_id              serial PRIMARY KEY,
    dataset_id          integer REFERENCES datasets (dataset_id),
    content             text NOT NULL,
    expected_prediction varchar NOT NULL
);

-- A row of modelpromptstatus is a job: one model × one prompt × one dataset.
CREATE TABLE modelpromptstatus (
    model_id   integer NOT NULL REFERENCES models (model_id),
    prompt_id  integer NOT NULL REFERENCES prompts (prompt_id),
    dataset_id integer NOT NULL REFERENCES datasets (dataset_id),
    status     varchar NOT NULL,
    count      integer DEFAULT 0,
    PRIMARY KEY (model_id, prompt_id, dataset_id)
);

CREATE TABLE predictionstatus (
    row_id           integer NOT NULL REFERENCES rows (row_id),
    model_id         integer NOT NULL REFERENCES models (model_id),
    prompt_id        integer NOT NULL REFERENCES prompts (prompt_id),
    dataset_id       integer REFERENCES datasets (dataset_id),
    status           varchar NOT NULL,
    in_progress_time timestamp,
    PRIMARY KEY (row_id, model_id, prompt_id)
);

CREATE TABLE predictions (
    prediction_id    serial PRIMARY KEY,
    row_id           integer REFERENCES rows (row_id),
    model_id         integer REFERENCES models (model_id),
    prompt_id        integer REFERENCES prompts (prompt_id),
    dataset_id       integer REFERENCES datasets (dataset_id),
    prediction       varchar NOT NULL,
    prediction_time  double precision NOT NULL,
    status           varchar NOT NULL,
    formatted_prompt text
);

-- Referenced by the documented trigger function; its shape follows the documentation's DDL.
CREATE TABLE status_update_log (
    id         serial PRIMARY KEY,
    model_id   integer,
    prompt_id  integer,
    dataset_id integer,
    status     varchar,
    updated_at timestamp DEFAULT CURRENT_TIMESTAMP
);
