-- Prompt versions and row variables (docs/prompts-and-runs.md). Only additions: every
-- new column is nullable or has a default, so existing prompts and rows stay valid.

-- A named prompt has versions 1, 2, 3, … (unique per name, numbered from prompt_names
-- below). A prompt without a name is a single unversioned template, as before.
-- A chat prompt keeps its messages (each content a template) and, in `text`, the
-- messages joined readably. `labels` (e.g. production) are held by one version of a
-- name at a time; the API moves them. `model_defaults` (temperature, max_tokens)
-- override the model's config for calls made with this prompt.
ALTER TABLE prompts
    ADD COLUMN name           varchar,
    ADD COLUMN version        integer,
    ADD COLUMN type           varchar NOT NULL DEFAULT 'text',
    ADD COLUMN messages       jsonb,
    ADD COLUMN labels         text[] NOT NULL DEFAULT '{}',
    ADD COLUMN commit_message text,
    ADD COLUMN model_defaults jsonb NOT NULL DEFAULT '{}',
    ADD CONSTRAINT prompts_type_check CHECK (type IN ('text', 'chat')),
    ADD CONSTRAINT prompts_messages_check
        CHECK ((type = 'chat') = (messages IS NOT NULL)
               AND (messages IS NULL OR jsonb_typeof(messages) = 'array')),
    ADD CONSTRAINT prompts_version_check
        CHECK ((name IS NULL) = (version IS NULL) AND (version IS NULL OR version >= 1)),
    ADD CONSTRAINT prompts_labels_check CHECK (name IS NOT NULL OR labels = '{}'),
    ADD CONSTRAINT prompts_model_defaults_check CHECK (jsonb_typeof(model_defaults) = 'object'),
    ADD CONSTRAINT prompts_name_version_key UNIQUE (name, version);

-- The last version number given to each name. Its row is the name's lock: numbering a
-- new version and moving labels update it, so they serialise per name until commit.
-- A number is never given twice, even after a version is deleted.
CREATE TABLE prompt_names (
    name         varchar PRIMARY KEY,
    last_version integer NOT NULL
);

-- A prompt is immutable: a change is a new version. Jobs pin a prompt_id, so a
-- prediction always says exactly which template produced it. Only labels move.
CREATE FUNCTION refuse_prompt_change()
RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    IF (NEW.prompt_id, NEW.model_id, NEW.text, NEW.name, NEW.version, NEW.type, NEW.messages,
        NEW.commit_message, NEW.model_defaults, NEW.created_at)
       IS DISTINCT FROM
       (OLD.prompt_id, OLD.model_id, OLD.text, OLD.name, OLD.version, OLD.type, OLD.messages,
        OLD.commit_message, OLD.model_defaults, OLD.created_at) THEN
        RAISE EXCEPTION 'prompt % is immutable: create a new version instead (only labels move)',
            OLD.prompt_id
            USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    RETURN NEW;
END;
$$;

CREATE TRIGGER prompts_before_update_immutable
BEFORE UPDATE ON prompts
FOR EACH ROW
EXECUTE FUNCTION refuse_prompt_change();

-- A row's variables for templates: {{question}}, {{meta.lang}}, … beside {{content}}
-- and {{expected}}. Always an object (empty for rows imported before, or without any).
ALTER TABLE rows
    ADD COLUMN input jsonb NOT NULL DEFAULT '{}',
    ADD CONSTRAINT rows_input_check CHECK (jsonb_typeof(input) = 'object');
