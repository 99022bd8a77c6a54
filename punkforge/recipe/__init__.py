"""The recipe: typed recipe data, TOML loading, network shapes, limits, schema.

`sections` holds the recipe as frozen pydantic models, one per TOML table
(`art_section` the [art] table), with every key's type, default, limit and
help declared once; `value_types` the kinds of value a key can take;
`plain_dicts` the recipe as plain dicts and the keys that decide training;
`cross_checks` what spans several tables; `limits` the poster geometry and
the memory budgets that validation and rendering share; `loader` turns TOML
text, variants, sweeps and `--set` into validated `Variant`s, with
`error_messages` putting pydantic's errors into a recipe's words and
`toml_source` reading the file and knowing where each key is written;
`shapes` computes layer shapes and "auto" output_padding without TensorFlow;
`schema` writes the JSON Schema; `paper` turns paper sizes, lengths and
colours into numbers; `starter` writes new recipes.

May import: the shared helpers only. Nothing here imports TensorFlow.
"""
