// Module NNG.
