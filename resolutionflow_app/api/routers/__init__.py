"""One router module per area; api.app includes every module that defines `router`."""
