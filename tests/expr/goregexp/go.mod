module goregexp

go 1.26
