package wxapi

// Request and response bodies of the merchant-side logistics endpoints
// (物流助手, /cgi-bin/express/business/...). Field names and units follow
// ../shared/spec/wechat-logistics-api.md: weights in kilograms with
// decimals, dimensions in centimetres, insured values in fen, times in Unix
// seconds.

// ServiceType is one service a courier offers (e.g. SF 0 标准快递).
type ServiceType struct {
	ServiceType int    `json:"service_type"`
	ServiceName string `json:"service_name"`
}

// Delivery is one courier from getAllDelivery.
type Delivery struct {
	DeliveryID   string        `json:"delivery_id"`
	DeliveryName string        `json:"delivery_name"`
	CanUseCash   int           `json:"can_use_cash"`
	CanGetQuota  int           `json:"can_get_quota"`
	CashBizID    string        `json:"cash_biz_id,omitempty"`
	ServiceType  []ServiceType `json:"service_type"`
}

// GetAllDeliveryResponse is the answer of getAllDelivery.
type GetAllDeliveryResponse struct {
	Count int        `json:"count"`
	Data  []Delivery `json:"data"`
}

// Account status codes reported by getAllAccount.
const (
	AccountBound     = 0 // 绑定成功, usable
	AccountReviewing = 1 // 审核中
	AccountBindFail  = 2 // 绑定失败
	AccountUnbound   = 3 // 已解绑
)

// Account is one courier account bound to the mini program.
type Account struct {
	BizID           string        `json:"biz_id"`
	DeliveryID      string        `json:"delivery_id"`
	CreateTime      int64         `json:"create_time"`
	UpdateTime      int64         `json:"update_time"`
	StatusCode      int           `json:"status_code"`
	Alias           string        `json:"alias"`
	RemarkWrongMsg  string        `json:"remark_wrong_msg"`
	RemarkContent   string        `json:"remark_content"`
	QuotaNum        int           `json:"quota_num"`
	QuotaUpdateTime int64         `json:"quota_update_time"`
	ServiceType     []ServiceType `json:"service_type,omitempty"`
}

// Usable reports whether orders can be placed on the account.
func (a Account) Usable() bool { return a.StatusCode == AccountBound }

// GetAllAccountResponse is the answer of getAllAccount.
type GetAllAccountResponse struct {
	Count int       `json:"count"`
	List  []Account `json:"list"`
}

// Contact is a sender or receiver of an order.
type Contact struct {
	Name     string `json:"name"`
	Tel      string `json:"tel,omitempty"`
	Mobile   string `json:"mobile,omitempty"`
	Company  string `json:"company,omitempty"`
	PostCode string `json:"post_code,omitempty"`
	Country  string `json:"country,omitempty"`
	Province string `json:"province"`
	City     string `json:"city"`
	Area     string `json:"area"`
	Address  string `json:"address"`
}

// Phone returns the mobile number, or the landline when there is no mobile.
func (c Contact) Phone() string {
	if c.Mobile != "" {
		return c.Mobile
	}
	return c.Tel
}

// CargoDetail is one goods line of the parcel.
type CargoDetail struct {
	Name  string `json:"name"`
	Count int    `json:"count"`
}

// Cargo describes the parcel: weight in kg, dimensions in cm.
type Cargo struct {
	Count      int           `json:"count"`
	Weight     float64       `json:"weight"`
	SpaceX     float64       `json:"space_x"`
	SpaceY     float64       `json:"space_y"`
	SpaceZ     float64       `json:"space_z"`
	DetailList []CargoDetail `json:"detail_list"`
}

// ShopGoods is one goods card in the buyer's notification.
type ShopGoods struct {
	GoodsName   string `json:"goods_name,omitempty"`
	GoodsImgURL string `json:"goods_img_url,omitempty"`
	GoodsDesc   string `json:"goods_desc,omitempty"`
}

// Shop is what the buyer's WeChat notification shows.
type Shop struct {
	WxaPath    string      `json:"wxa_path"`
	ImgURL     string      `json:"img_url,omitempty"`
	GoodsName  string      `json:"goods_name,omitempty"`
	GoodsCount int         `json:"goods_count,omitempty"`
	DetailList []ShopGoods `json:"detail_list,omitempty"`
}

// Insured is the declared value; InsuredValue is in fen (10000 = ¥100).
type Insured struct {
	UseInsured   int   `json:"use_insured"`
	InsuredValue int64 `json:"insured_value"`
}

// Service is the courier service chosen for the order.
type Service struct {
	ServiceType int    `json:"service_type"`
	ServiceName string `json:"service_name"`
}

// Add sources of addOrder.
const (
	AddSourceMiniProgram = 0 // order placed from the mini program; the buyer is notified
	AddSourceApp         = 2 // order placed from an App/H5; needs wx_appid, no notification
)

// AddOrderRequest is the body of addOrder.
type AddOrderRequest struct {
	AddSource    int     `json:"add_source"`
	WxAppID      string  `json:"wx_appid,omitempty"`
	OrderID      string  `json:"order_id"`
	OpenID       string  `json:"openid,omitempty"`
	DeliveryID   string  `json:"delivery_id"`
	BizID        string  `json:"biz_id"`
	CustomRemark string  `json:"custom_remark,omitempty"`
	TagID        int64   `json:"tagid,omitempty"`
	Sender       Contact `json:"sender"`
	Receiver     Contact `json:"receiver"`
	Cargo        Cargo   `json:"cargo"`
	Shop         Shop    `json:"shop"`
	Insured      Insured `json:"insured"`
	Service      Service `json:"service"`
	// ExpectTime is the pick-up time in Unix seconds (required by SF; 0 = arranged already).
	ExpectTime int64 `json:"expect_time"`
	TakeMode   int   `json:"take_mode,omitempty"`
	// TransID is the WeChat Pay transaction id of the buyer's payment. It
	// is not an addOrder field (AddOrder never sends it): it travels with
	// the order, next to openid, because follow_waybill/trace_waybill
	// require it when the buyer is notified later.
	TransID string `json:"trans_id,omitempty"`
}

// KV is one entry of waybill_data.
type KV struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// AddOrderResponse is the answer of addOrder.
type AddOrderResponse struct {
	OrderID            string `json:"order_id"`
	WaybillID          string `json:"waybill_id"`
	WaybillData        []KV   `json:"waybill_data"`
	DeliveryResultCode int    `json:"delivery_resultcode"`
	DeliveryResultMsg  string `json:"delivery_resultmsg"`
}

// Print types of getOrder.
const (
	PrintTypeTwoPart = 0 // 二联单, the default
	PrintTypeOnePart = 1 // 一联单
)

// GetOrderRequest is the body of getOrder.
type GetOrderRequest struct {
	OrderID    string `json:"order_id"`
	OpenID     string `json:"openid,omitempty"`
	DeliveryID string `json:"delivery_id"`
	WaybillID  string `json:"waybill_id,omitempty"`
	PrintType  *int   `json:"print_type,omitempty"`
}

// Order statuses reported by getOrder.
const (
	OrderStatusNormal    = 0
	OrderStatusCancelled = 1
)

// GetOrderResponse is the answer of getOrder. PrintHTML is standard base64 of
// a whole HTML document; Label decodes it.
type GetOrderResponse struct {
	PrintHTML   string `json:"print_html"`
	WaybillData []KV   `json:"waybill_data"`
	DeliveryID  string `json:"delivery_id"`
	WaybillID   string `json:"waybill_id"`
	OrderID     string `json:"order_id"`
	OrderStatus int    `json:"order_status"`
}

// Account bind operations of bindAccount.
const (
	BindTypeBind   = "bind"
	BindTypeUnbind = "unbind"
)

// BindAccountRequest is the body of bindAccount.
type BindAccountRequest struct {
	Type       string `json:"type"`
	BizID      string `json:"biz_id"`
	DeliveryID string `json:"delivery_id"`
	Password   string `json:"password,omitempty"`
	// RemarkContent is needed for EMS review: 电话：… 联系人：… 服务类型：… 发货地址：…
	RemarkContent string `json:"remark_content,omitempty"`
}

// GetQuotaRequest is the body of getQuota.
type GetQuotaRequest struct {
	DeliveryID string `json:"delivery_id"`
	BizID      string `json:"biz_id"`
}

// GetQuotaResponse is the answer of getQuota: labels left on the account.
type GetQuotaResponse struct {
	QuotaNum int `json:"quota_num"`
}

// OrderKey names one waybill for batchGetOrder.
type OrderKey struct {
	OrderID    string `json:"order_id"`
	DeliveryID string `json:"delivery_id"`
	WaybillID  string `json:"waybill_id"`
}

// MaxBatchGetOrder is the most orders one batchGetOrder may ask for.
const MaxBatchGetOrder = 100

// BatchGetOrderRequest is the body of batchGetOrder.
type BatchGetOrderRequest struct {
	OrderList []OrderKey `json:"order_list"`
}

// BatchOrder is one element of batchGetOrder's answer; each carries its own
// errcode.
type BatchOrder struct {
	ErrCode int    `json:"errcode"`
	ErrMsg  string `json:"errmsg"`
	GetOrderResponse
}

// Err returns the element's own error, or nil.
func (b BatchOrder) Err() error {
	return status{ErrCode: b.ErrCode, ErrMsg: b.ErrMsg}.err("batchGetOrder " + b.OrderID)
}

// BatchGetOrderResponse is the answer of batchGetOrder.
type BatchGetOrderResponse struct {
	OrderList []BatchOrder `json:"order_list"`
}

// CancelOrderRequest is the body of cancelOrder.
type CancelOrderRequest struct {
	OrderID    string `json:"order_id"`
	OpenID     string `json:"openid,omitempty"`
	DeliveryID string `json:"delivery_id"`
	WaybillID  string `json:"waybill_id"`
}

// CancelOrderResponse is the answer of cancelOrder.
type CancelOrderResponse struct {
	DeliveryResultCode int    `json:"delivery_resultcode"`
	DeliveryResultMsg  string `json:"delivery_resultmsg"`
}

// GetPathRequest is the body of getPath.
type GetPathRequest struct {
	OrderID    string `json:"order_id"`
	OpenID     string `json:"openid,omitempty"`
	DeliveryID string `json:"delivery_id"`
	WaybillID  string `json:"waybill_id"`
}

// PathItem is one tracking event.
type PathItem struct {
	ActionTime int64  `json:"action_time"` // Unix seconds
	ActionType int    `json:"action_type"`
	ActionMsg  string `json:"action_msg"`
}

// GetPathResponse is the answer of getPath.
type GetPathResponse struct {
	OpenID       string     `json:"openid"`
	DeliveryID   string     `json:"delivery_id"`
	WaybillID    string     `json:"waybill_id"`
	PathItemNum  int        `json:"path_item_num"`
	PathItemList []PathItem `json:"path_item_list"`
}

// GetPrinterResponse is the answer of getPrinter: the 打印员 openids.
type GetPrinterResponse struct {
	Count     int      `json:"count"`
	OpenID    []string `json:"openid"`
	TagIDList []string `json:"tagid_list"`
}

// Printer update types of updatePrinter.
const (
	PrinterBind   = "bind"
	PrinterUnbind = "unbind"
)

// UpdatePrinterRequest is the body of updatePrinter.
type UpdatePrinterRequest struct {
	OpenID     string `json:"openid"`
	UpdateType string `json:"update_type"`
	// TagIDList is comma-separated without spaces, at most 10 ids ("123,456").
	TagIDList string `json:"tagid_list,omitempty"`
}

// Sandbox courier ids for testUpdateOrder.
const (
	TestDeliveryID = "TEST"
	TestBizID      = "test_biz_id"
)

// TestUpdateOrderRequest is the body of testUpdateOrder (sandbox courier only).
type TestUpdateOrderRequest struct {
	BizID      string `json:"biz_id"`
	OrderID    string `json:"order_id"`
	DeliveryID string `json:"delivery_id"`
	WaybillID  string `json:"waybill_id"`
	ActionTime int64  `json:"action_time"`
	ActionType int    `json:"action_type"`
	ActionMsg  string `json:"action_msg"`
}
