package desk

import (
	"context"

	"waybilldesk/orders/batch"
)

// NewImporter returns a batch importer over the desk's orders, with the
// import defaults stored in the settings (sender, courier, parcel) under
// opts' own.
func (d *Desk) NewImporter(ctx context.Context, opts batch.Options) (*batch.Importer, error) {
	stored, err := batch.LoadDefaults(ctx, d.DB)
	if err != nil {
		return nil, err
	}
	opts.Defaults = stored.Over(opts.Defaults)
	if opts.Logger == nil {
		opts.Logger = d.Config.Logger.With("part", "import")
	}
	return batch.New(d.Orders, d.DB, opts), nil
}
