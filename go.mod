module vaxtrace

go 1.26
