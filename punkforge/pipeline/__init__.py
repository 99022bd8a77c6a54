"""The pipeline: what `punkforge run` and `punkforge render` do to an output folder.

`plan` decides the least work per variant from the records alone; `runner`
keeps the order of work (data, training groups, devolving, rendering, the
gallery); `training_groups` is the driver's side of training and `pools`
(`ray_pool`) where the groups run; `variant_folder` devolves, draws and
writes one variant's folder; `output_folder` knows the folder's paths,
records and run lock; `render_target` finds what `punkforge render` redraws;
`progress` is what a person sees while it works. The driver owns the output
tree: workers hand results back and never write there.

May import: gallery, rendering, training, data, recipe and the shared helpers.
"""
