-- The catalogue (config/catalogue.yaml): roles and department functions are
-- data, each with its label and, for a role, what its holders may do beyond
-- their tasks (`may`, a JSON array of capability names). Labels are unique so
-- that an import sheet can name a role or a function by its label.
CREATE TABLE roles (
    name     TEXT PRIMARY KEY,
    label    TEXT NOT NULL UNIQUE,
    may      TEXT NOT NULL,
    position INTEGER NOT NULL
);

CREATE TABLE dept_functions (
    name     TEXT PRIMARY KEY,
    label    TEXT NOT NULL UNIQUE,
    position INTEGER NOT NULL
);

-- The roles and functions there were when they were a closed list in code:
-- the grants and departments already stored name them.
INSERT INTO roles (name, label, may, position) VALUES
    ('admin', '管理员', '["administer","coverage","reports"]', 1),
    ('nominator', '提名人', '[]', 2),
    ('department', '部门经办人', '[]', 3),
    ('secretary', '科协秘书', '[]', 4),
    ('reporter', '月报填报人', '["reports"]', 5),
    ('supervisor', '督导', '["coverage","reports","campaigns"]', 6),
    ('viewer', '查看', '["coverage","reports"]', 7);

INSERT INTO dept_functions (name, label, position) VALUES
    ('organization', '组织部', 1),
    ('party_committee', '乡镇党委', 2),
    ('health', '卫生健康', 3),
    ('education', '教育', 4),
    ('agriculture', '农业农村', 5),
    ('other', '其他', 6);
