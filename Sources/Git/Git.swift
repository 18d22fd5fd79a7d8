// Placeholder; replaced by the Git wrapper.
